import { readFile } from "node:fs/promises";
import type { Command } from "../cli.js";
import { parseOptions, parsePositiveInt } from "../lib/args.js";
import { describeExpiry, formatDuration, parseDuration } from "../lib/duration.js";
import { CliError, UsageError } from "../lib/errors.js";
import { fetchSchedule, healthyMargins } from "../lib/healthy-margin.js";
import { fetchBytes } from "../lib/http.js";
import { httpFetch } from "../lib/http-transport.js";
import type { Io } from "../lib/io.js";
import { useNativeEd25519 } from "../lib/native-ed25519.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { type RoleState, type VerifyReport, verifyRepository } from "../lib/verify.js";
import { MAX_LENGTH, Metadata } from "../../shared/index.js";

const usage = `Usage: tuf-edge verify [--url URL] [--root FILE] [--min-valid auto|DUR] [--sample N]
                      [--client tuf-edge|tuf-js] [--json]

Does what an installer's TUF client does (spec §5): starting from a trusted root, follows the
root chain, then timestamp, snapshot, targets and every hashed bin, checking each signature,
threshold, version, hash and expiry. Prints each role's version and how long it stays valid.
Exits non-zero on any failure. Each download is bounded (python-tuf's limits: root 512,000 bytes,
timestamp 16,384, snapshot and bins their signed length, at most 256 new roots a run), and the whole
run 15 minutes. 16,384 bins take 5–12 s from a CDN or static server, 20–40 s from \`npm start\`
(workerd's Cache API and local R2 serve each file; longer on the first run after a bootstrap);
with --cache, a returning run asks only for what changed.

Options:
  --url URL          the repository's base URL (default: $TUF_EDGE_URL)
  --root FILE        the root to trust (1.root.json from the key ceremony). Without it,
                     URL/metadata/1.root.json is trusted as served (trust on first use: this
                     proves consistency, not authenticity)
  --min-valid auto   fail if a role has less time left than a healthy repository always keeps
                     (computed from the renewal schedule in URL/v1/status): for a monitor
  --min-valid DUR    fail if any role checked expires sooner than DUR from now (e.g. 2h, 2d)
  --all-bins         check every bin (the default)
  --sample N         check only N bins, at random (with the first and the last)
  --cache DIR        keep the last bytes of each role in DIR, and on the next run ask for deltas
                     against them (RFC 9842 dcz): a returning monitor downloads a few KB, not the
                     whole snapshot. Every byte is still verified as signed (tuf-edge client only).
                     DIR holds at most 65,536 dictionaries and 1 GiB (least recently stored out)
  --client NAME      tuf-edge (default): our spec §5 client, linear time.
                     tuf-js: a second, independent opinion (slow: minutes at 16,384 bins)
  --json             print the report as JSON
  -h, --help         show this help

Monitor (every few minutes; exit status 0 = healthy):
  tuf-edge verify --url URL --root 1.root.json --min-valid auto`;

async function trustedRoot(io: Io, url: string, file: string | undefined): Promise<Uint8Array> {
  if (file !== undefined) {
    try {
      return await readFile(file);
    } catch (e) {
      throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  const bytes = await fetchBytes(`${url}/metadata/1.root.json`);
  if (!bytes) throw new CliError(`${url}/metadata/1.root.json does not exist: is the repository bootstrapped?`);
  const root = Metadata.parse(bytes, "root").signed;
  io.err("WARNING: no --root given: trusting 1.root.json as the server sends it (trust on first use).");
  io.err("WARNING: whoever controls the server or the network could make this check pass. Pass --root, or");
  io.err("WARNING: compare these root keys with the key ceremony's:");
  io.err(`WARNING:   ${root.roles.root.threshold} of ${root.roles.root.keyids.join(", ")}`);
  return bytes;
}

function report(io: Io, r: VerifyReport, now: number) {
  const line = (s: RoleState) => `${s.name.padEnd(10)} v${String(s.version).padEnd(6)} expires ${describeExpiry(s.expires, now)}`;
  for (const s of r.roles) io.out(line(s));
  if (r.trustedRootVersion !== r.roles[0]!.version) io.out(`  (root chain verified from v${r.trustedRootVersion})`);
  if (r.binCount === 0) {
    io.out("bins       targets delegates to no succinct hashed bins");
    return;
  }
  const low = Math.min(...r.bins.map((b) => b.version));
  const high = Math.max(...r.bins.map((b) => b.version));
  const first = r.bins.reduce((a, b) => (b.expires < a.expires ? b : a));
  io.out(
    `bins       ${r.bins.length} of ${r.binCount} checked${r.bins.length < r.binCount ? " (sample)" : ""}, ${low === high ? `version ${low}` : `versions ${low}–${high}`}, ` +
      `first to expire ${first.name}: ${describeExpiry(first.expires, now)}`,
  );
}

/** The roles that have less time left than their margin; a bin is judged by the "bins" margin. */
function tooSoon(r: VerifyReport, margin: (role: string) => number, now: number) {
  return [...r.roles, ...r.bins].filter((s) => s.expires - now < margin(r.roles.includes(s) ? s.name : "bins"));
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      url: { type: "string" },
      root: { type: "string" },
      "min-valid": { type: "string" },
      "all-bins": { type: "boolean" },
      sample: { type: "string" },
      client: { type: "string", default: "tuf-edge" },
      cache: { type: "string" },
      json: { type: "boolean" },
    }, usage);
    if (values.cache !== undefined && values.client === "tuf-js") throw new UsageError("--cache works with the tuf-edge client only");
    const url = repositoryUrl(values.url, io);
    const sample = parsePositiveInt(values.sample, "--sample");
    if (sample !== undefined && values["all-bins"]) throw new UsageError("give --all-bins or --sample, not both");
    if (values.client !== "tuf-edge" && values.client !== "tuf-js") throw new UsageError(`--client must be tuf-edge or tuf-js, got ${JSON.stringify(values.client)}`);
    const minValid = values["min-valid"];
    const fixed = minValid === undefined || minValid === "auto" ? undefined : parseDuration(minValid, "--min-valid");
    const margins = minValid === "auto" ? healthyMargins(await fetchSchedule(url)) : undefined;

    const started = Date.now();
    const cache = values.cache === undefined ? undefined : await deltaFetch(values.cache);
    const options = {
      url,
      trustedRoot: await trustedRoot(io, url, values.root),
      bins: sample ?? ("all" as const),
      ...(cache && { fetch: cache.fetch }),
      onProgress: (done: number, total: number) => {
        if (done % 256 === 0 || done === total) io.progress(`verifying bins: ${done} of ${total}`);
      },
    };
    let result: VerifyReport;
    try {
      if (values.client === "tuf-js") {
        result = await (await loadTufJs()).verifyWithTufJs(options);
      } else {
        useNativeEd25519();
        result = await verifyRepository(options);
      }
    } finally {
      await cache?.close();
    }
    io.progress("");
    const now = Date.now();
    const seconds = ((now - started) / 1000).toFixed(1);
    const margin = (role: string) => margins?.[role] ?? (role.startsWith("claimed-") ? margins?.claimed : undefined) ?? fixed ?? -Infinity;
    const soon = minValid === undefined ? [] : tooSoon(result, margin, now);
    if (values.json) {
      io.out(JSON.stringify({
        ok: soon.length === 0, url, client: values.client, seconds: Number(seconds), trustedRootVersion: result.trustedRootVersion,
        roles: result.roles.map(json), binsChecked: result.bins.length, binCount: result.binCount,
        firstBinToExpire: result.bins.length ? json(result.bins.reduce((a, b) => (b.expires < a.expires ? b : a))) : null,
        tooSoon: soon.map(json), ...(margins ? { minValidSeconds: Object.fromEntries(Object.entries(margins).map(([k, v]) => [k, v / 1000])) } : {}),
      }));
    } else {
      report(io, result, now);
    }
    if (soon.length) {
      const names = soon.slice(0, 5).map((s) => `${s.name} (in ${formatDuration(s.expires - now)})`).join(", ");
      const limit = margins ? "a healthy repository keeps (--min-valid auto)" : `--min-valid ${minValid}`;
      throw new CliError(`${soon.length} role(s) expire sooner than ${limit}: ${names}${soon.length > 5 ? ", …" : ""}`);
    }
    if (values.json) return;
    const what = result.binCount === 0 ? "root chain, timestamp, snapshot and targets" :
      `root chain, timestamp, snapshot, targets and ${result.bins.length === result.binCount ? "all" : "a sample of"} ${result.bins.length} of ${result.binCount} bins`;
    const client = values.client === "tuf-js" ? "tuf-js" : "the tuf-edge spec §5 client";
    const valid = margins ? "; every role keeps the margin of a healthy repository" : fixed !== undefined ? `; every role checked stays valid for ${minValid} or more` : "";
    io.out(`OK: ${url}: ${what} verified by ${client} in ${seconds} s${valid}`);
  },
};
/**
 * tuf-js is a second opinion, loaded only when asked for. The specifier is not a literal, so the
 * packed CLI (one file, no dependencies) does not bundle it; there it is not available.
 */
/** The delta-update fetch over a dictionary folder (loaded only when asked for: the packed CLI carries no zstd). */
async function deltaFetch(dir: string) {
  const module = "../lib/delta.js";
  let delta: typeof import("../lib/delta.js");
  try {
    delta = await import(module);
  } catch {
    throw new CliError("--cache needs the repository's install (the packed CLI has no zstd)");
  }
  // No role is longer than MAX_LENGTH.targets: nor is a body the delta fetch buffers.
  // Over node:http (a fraction of undici's CPU per file, which counts at 16,384 files).
  const dictionaries = delta.fileDictionaries(dir);
  const fetch = delta.createNodeDeltaFetch({ fetch: httpFetch(MAX_LENGTH.targets), dictionaries, maxLength: MAX_LENGTH.targets });
  return { fetch, close: () => dictionaries.close() };
}

async function loadTufJs(): Promise<typeof import("../lib/verify-tufjs.js")> {
  const module = "../lib/verify-tufjs.js";
  try {
    return await import(module);
  } catch {
    throw new CliError("--client tuf-js needs the repository's checkout (npm install there); the packed CLI has only --client tuf-edge");
  }
}

const json = (s: RoleState) => ({ name: s.name, version: s.version, expires: new Date(s.expires).toISOString().replace(".000Z", "Z"), expiresInSeconds: Math.floor((s.expires - Date.now()) / 1000) });
export default command;
