import type { Command } from "../../cli.js";
import { parseOptions } from "../../lib/args.js";
import { readCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { signatureStatus } from "../../lib/signoff.js";
import { UsageError } from "../../lib/errors.js";

const usage = `Usage: tuf-edge ceremony status FILE

Shows what the ceremony file FILE holds (roles, keys, thresholds, expiries) and how many
signatures each role still lacks, role by role (root, targets, and in PEP 480's layout claimed,
unclaimed and each part claimed-<prefix>). Changes nothing.

Options:
  --json      print, per role and key set, the signatures counted, needed, and who is missing
  -h, --help  show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { json: { type: "boolean" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one ceremony FILE");
    const ceremony = await readCeremonyFile(positionals[0]!);
    if (values.json) {
      const status = signatureStatus(ceremony);
      io.out(JSON.stringify({ kind: ceremony.kind, complete: status.every((s) => s.missing === 0), signatures: status }));
      return;
    }
    printCeremony(io, `${positionals[0]} (${ceremony.kind}):`, ceremony);
  },
};
export default command;
