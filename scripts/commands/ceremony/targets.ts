import type { Command } from "../../cli.js";
import { parseOptions, required } from "../../lib/args.js";
import { renewTargetsCeremony } from "../../lib/ceremony.js";
import { readRootFile, readTargetsFile, writeNewCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { parseExpiry } from "../../lib/duration.js";

const usage = `Usage: tuf-edge ceremony targets --root N.root.json --from-targets M.targets.json
         [--expires 365d] --out FILE

Creates FILE, a ceremony file with targets M+1: the same delegations and targets as the
published M.targets.json, with a new expiry. Targets is signed offline and expires (yearly by
default): renew it in time. The targets keys of the current root (--root) sign it; publish it
with \`tuf-edge targets --file FILE\`.

Options:
  --root FILE          the current root (N.root.json), signed
  --from-targets FILE  the current targets (M.targets.json), signed
  --expires WHEN       expiry of targets M+1: a duration (365d) or a date (default 365d)
  --out FILE           the ceremony file to create (never overwritten)
  -h, --help           show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      root: { type: "string" },
      "from-targets": { type: "string" },
      expires: { type: "string", default: "365d" },
      out: { type: "string" },
    }, usage);
    const out = required(values.out, "--out");
    const now = Date.now();
    const ceremony = renewTargetsCeremony(
      await readRootFile(required(values.root, "--root")),
      await readTargetsFile(required(values["from-targets"], "--from-targets")),
      parseExpiry(values.expires, "--expires", now),
    );
    await writeNewCeremonyFile(out, ceremony);
    printCeremony(io, `wrote ${out}:`, ceremony);
  },
};
export default command;
