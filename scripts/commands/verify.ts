import { readFile } from "node:fs/promises";
import type { Command } from "../cli.js";
import { parseBaseUrl, parseOptions } from "../lib/args.js";
import { describeExpiry, formatDuration, parseDuration } from "../lib/duration.js";
import { CliError } from "../lib/errors.js";
import { fetchBytes } from "../lib/http.js";
import type { Io } from "../lib/io.js";
import { type RoleState, type VerifyReport, verifyRepository } from "../lib/verify.js";
import { Metadata } from "../../shared/index.js";

const SAMPLE_BINS = 32;

const usage = `Usage: tuf-edge verify --url URL [--root FILE] [--min-valid 12h] [--all-bins]

Does what an installer's TUF client does, with tuf-js: starting from a trusted root, follows the
root chain, then timestamp, snapshot, targets, and the hashed bins, checking every signature,
threshold, version, hash and expiry. Prints each role's version and how long it stays valid.
Exits non-zero on any failure.

Options:
  --url URL          the repository's base URL (metadata under URL/metadata/)
  --root FILE        the root to trust (e.g. 1.root.json from the key ceremony). Without it,
                     URL/metadata/1.root.json is trusted as served (trust on first use: this
                     proves consistency, not authenticity)
  --min-valid DUR    fail if any role checked expires sooner than DUR from now (e.g. 12h, 2d)
  --all-bins         check every bin (default: a random sample of ${SAMPLE_BINS}, with the first and last)
  -h, --help         show this help`;

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

function report(io: Io, r: VerifyReport, sampled: boolean, now: number) {
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
    `bins       ${r.bins.length} of ${r.binCount} checked${sampled ? " (sample)" : ""}, ${low === high ? `version ${low}` : `versions ${low}–${high}`}, ` +
      `first to expire ${first.name}: ${describeExpiry(first.expires, now)}`,
  );
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      url: { type: "string" },
      root: { type: "string" },
      "min-valid": { type: "string" },
      "all-bins": { type: "boolean" },
    }, usage);
    const url = parseBaseUrl(values.url);
    const minValid = values["min-valid"] === undefined ? undefined : parseDuration(values["min-valid"], "--min-valid");
    const now = Date.now();
    const result = await verifyRepository({
      url,
      trustedRoot: await trustedRoot(io, url, values.root),
      bins: values["all-bins"] ? "all" : SAMPLE_BINS,
      onProgress: (done, total) => io.progress(`bins ${done}/${total}`),
    });
    io.progress("");
    report(io, result, !values["all-bins"] && result.bins.length < result.binCount, now);
    if (minValid !== undefined) {
      const soon = [...result.roles, ...result.bins].filter((s) => s.expires - now < minValid);
      if (soon.length) {
        const names = soon.slice(0, 5).map((s) => `${s.name} (in ${formatDuration(s.expires - now)})`).join(", ");
        throw new CliError(`${soon.length} role(s) expire sooner than --min-valid ${values["min-valid"]}: ${names}${soon.length > 5 ? ", …" : ""}`);
      }
    }
    io.out(`OK: ${url} passed a full tuf-js refresh${minValid === undefined ? "" : `; every role checked stays valid for ${values["min-valid"]} or more`}`);
  },
};
export default command;
