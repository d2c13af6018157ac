import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { parseOptions, parsePositiveInt, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { CliError, UsageError } from "../lib/errors.js";
import { DEFAULT_CONCURRENCY, DEFAULT_LIMITS, runImport, summaryLines } from "../lib/import.js";
import { MAX_BINS_PER_COMMIT } from "../../shared/bins.js";

const usage = `Usage: tuf-edge import LISTING [--url URL] [--token-env ADMIN_TOKEN] [--state FILE]
         [--chunk-bins N] [--concurrency N]

Back-signs existing files: publishes every target of LISTING through POST URL/v1/admin/import,
grouped by bin so that each bin is signed once per import.

LISTING is JSON lines, one target per line (blank lines are skipped):
  {"path": "packages/ab/cd/…/example-1.0.tar.gz", "length": 12345, "hashes": {"sha256": "<64 hex>"}}
with the webhook's rules (sha512 and custom are allowed too). The whole listing is checked before
anything is sent: the first invalid line stops the import with its line number and field, and so
does a path listed twice with different length or hashes (an exact repeat is sent once).

How: pass 1 streams LISTING into partition files by bin; pass 2 reads one partition at a time and
writes request bodies of whole bins (at most N bins, about 8 MiB each); pass 3 sends them, a few
at a time, and waits until each is published. Memory stays at about one partition (1/64 of LISTING).

Conflicts: a target already published with the same length and hashes is a no-op; one published
with different ones is rejected alone (files are immutable) and reported; the rest are published.
The exit status is 1 when any target was rejected.

Resuming: progress is recorded in the state file (default LISTING.import-state.json, with its work
files in LISTING.import-state.work/). Run the same command again after an interruption: requests
already published are skipped. Re-sending a target that is already published is a no-op on the
server, so an interruption between a request being sent and being recorded causes no duplicate.
A changed LISTING (size, mtime or first MiB) starts over. Delete the state file to import again.

Options:
  --url URL          the Worker's base URL (default: $TUF_EDGE_URL)
  --token-env VAR    environment variable holding the admin token (default ADMIN_TOKEN)
  --state FILE       the state file (default LISTING.import-state.json)
  --chunk-bins N     bins per request, at most ${MAX_BINS_PER_COMMIT} (default ${DEFAULT_LIMITS.chunkBins})
  --concurrency N    requests sent and not yet published, at most (default ${DEFAULT_CONCURRENCY})
  --max-requests N   (debugging) stop after N requests; run again to resume
  -h, --help         show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      url: { type: "string" },
      "token-env": { type: "string", default: "ADMIN_TOKEN" },
      state: { type: "string" },
      "chunk-bins": { type: "string" },
      concurrency: { type: "string" },
      "max-requests": { type: "string" },
    }, usage, true);
    if (positionals.length > 1) throw new UsageError(`one listing at a time, got ${positionals.length}`);
    const listing = required(positionals[0], "LISTING");
    const url = repositoryUrl(values.url, io);
    assertSafeForSecrets(url);
    const chunkBins = parsePositiveInt(values["chunk-bins"], "--chunk-bins");
    if (chunkBins !== undefined && chunkBins > MAX_BINS_PER_COMMIT) throw new UsageError(`--chunk-bins must be at most ${MAX_BINS_PER_COMMIT}`);
    const concurrency = parsePositiveInt(values.concurrency, "--concurrency");
    const maxRequests = parsePositiveInt(values["max-requests"], "--max-requests");
    const token = secretFromEnv(io.env, values["token-env"], "the admin token", "--token-env");

    const summary = await runImport({ listing, url, token, stateFile: values.state, chunkBins, concurrency, maxRequests }, io);
    for (const line of summaryLines(summary)) io.out(line);
    if (summary.failed.length) throw new CliError(`${summary.failed.length} requests failed on the server; run again to send them again`);
    if (!summary.complete) throw new CliError(`stopped after ${maxRequests} requests (--max-requests); run again to resume`);
    if (summary.rejected) throw new CliError(`${summary.rejected} targets were rejected (see above); the others are published`);
  },
};
export default command;
