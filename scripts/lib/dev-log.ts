import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

// wrangler colours its lines when it writes to a terminal: match on the text alone.
const ANSI = /\x1b\[[0-9;]*m/g;
const METADATA_READ = /\b(GET|HEAD) \/metadata\/\S* (\d{3})\b/;

/**
 * Whether `npm start` shows a line of `wrangler dev`'s output. Not shown: wrangler's "Ready on"
 * (the repository is ready only once it is bootstrapped, and `tuf-edge dev` says so once), and the
 * request log of metadata reads below 500 (a `tuf-edge verify` makes 16,384 of them), unless
 * `logRequests`. Everything else is shown: the Worker's own log lines, errors, other requests.
 */
export function showWranglerLine(line: string, logRequests = false): boolean {
  const text = line.replace(ANSI, "");
  if (/Ready on https?:\/\//.test(text)) return false;
  if (logRequests) return true;
  const read = METADATA_READ.exec(text);
  return !(read && Number(read[2]) < 500);
}

/** Copies `from` to `to` line by line, leaving out what showWranglerLine does not show. */
export function filterWranglerOutput(from: Readable, to: Writable, logRequests: boolean): void {
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    if (showWranglerLine(line, logRequests)) to.write(`${line}\n`);
  });
}
