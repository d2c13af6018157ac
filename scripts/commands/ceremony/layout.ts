import type { Command } from "../../cli.js";
import { parseOptions, parsePositiveInt, required } from "../../lib/args.js";
import { writeNewCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { parseExpiry } from "../../lib/duration.js";
import { UsageError } from "../../lib/errors.js";
import { readNamedPublicKey } from "../../lib/keyfile.js";
import { layoutCeremony, readPublished } from "../../lib/project-ceremony.js";
import { repositoryUrl } from "../../lib/repository-url.js";

const usage = `Usage: tuf-edge ceremony layout --trusted-root ROOT.json [--url URL]
         [--offline-key PUB... --offline-threshold T] [--expires 365d] --out FILE

Prepares the move to per-project signing (PEP 480), once per repository. Today the targets role
hands every file to the hashed bins, which the Worker signs with its online key. After the move,
targets hands files to three roles, which installers search in this order:
  claimed           projects whose own maintainers sign their files, collected at ceremonies
                    (\`ceremony claims\`); signed offline
  recently-claimed  projects claimed since the last ceremony (\`project claim\`); the Worker signs
                    this list
  unclaimed         every other file: the same hashed bins as today (same names, same online
                    key); signed offline
Nothing installers can download changes at the move.

Fetches the published metadata from URL and checks it from ROOT.json, a root you trust
(1.root.json from the first ceremony, or a later one: newer roots are fetched and checked), then
writes FILE, a ceremony file with targets M+1, claimed v1 (empty) and unclaimed v1, unsigned.
Each holder of a targets key (and of an --offline-key) runs
\`tuf-edge ceremony sign FILE --key KEYFILE\`; then \`tuf-edge targets --file FILE --wait\`
publishes it.

Options:
  --url URL               the repository (default: $TUF_EDGE_URL)
  --trusted-root FILE     a root you trust (N.root.json)
  --offline-key PUB       a public key (*.pub.json) to sign claimed and unclaimed instead of
                          the targets keys; repeat for each holder. Never the online key
  --offline-threshold T   how many of those keys must sign (required with --offline-key;
                          default: as many as must sign targets)
  --expires WHEN          expiry of targets, claimed and unclaimed: a duration (365d) or a
                          date (2027-01-01T00:00:00Z); default 365d
  --out FILE              the ceremony file to create (never overwritten)
  -h, --help              show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      url: { type: "string" },
      "trusted-root": { type: "string" },
      "offline-key": { type: "string", multiple: true },
      "offline-threshold": { type: "string" },
      expires: { type: "string", default: "365d" },
      out: { type: "string" },
    }, usage);
    const out = required(values.out, "--out");
    const rootFile = required(values["trusted-root"], "--trusted-root");
    const url = repositoryUrl(values.url, io);
    const now = Date.now();
    const expires = parseExpiry(values.expires, "--expires", now);
    const offlineThreshold = parsePositiveInt(values["offline-threshold"], "--offline-threshold");
    const named = values["offline-key"] && (await Promise.all(values["offline-key"].map(readNamedPublicKey)));
    if (named && offlineThreshold === undefined) throw new UsageError("--offline-threshold is required with --offline-key");
    const { trusted } = await readPublished(url, rootFile, now);
    const ceremony = {
      ...layoutCeremony({ trustedRoot: trusted.root, currentTargets: trusted.targets.get("targets")!, offline: named?.map((n) => n.key), offlineThreshold, expires }),
      ...(named ? { names: Object.fromEntries(named.map(({ key, name }) => [key.keyid, name])) } : {}),
    };
    await writeNewCeremonyFile(out, ceremony);
    printCeremony(io, `wrote ${out}:`, ceremony);
    io.out(`next: each key holder runs \`tuf-edge ceremony sign ${out} --key KEYFILE\`; then \`tuf-edge targets --file ${out} --wait\``);
  },
};
export default command;
