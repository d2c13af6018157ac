import type { Command } from "../../cli.js";
import { parseOptions } from "../../lib/args.js";
import { describeExpiry, formatDuration, parseDuration } from "../../lib/duration.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { projectStatus, readProjectFile } from "../../lib/project-file.js";
import { printProject } from "../../lib/project-print.js";

/** Without --min-valid, status reminds you this long before the role expires. */
const REMIND_MS = 30 * 86_400_000;

const usage = `Usage: tuf-edge project status FILE [--min-valid DUR] [--json]

Shows what the role file FILE lists, who has signed and who still has to, and when it expires.
Changes nothing. Within 30 days of expiry it reminds you to renew (\`tuf-edge project renew\`):
installers refuse your files once the pushed role has expired.

Options:
  --min-valid DUR  fail (exit 1) if the role expires sooner than DUR from now (e.g. 30d), for a
                   scheduled check, as \`tuf-edge verify --min-valid\` does for the index's roles
  --json           print the status as JSON
  -h, --help       show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { "min-valid": { type: "string" }, json: { type: "boolean" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    const minValid = values["min-valid"] === undefined ? undefined : parseDuration(values["min-valid"], "--min-valid");
    const f = await readProjectFile(positionals[0]!);
    const now = Date.now();
    const st = projectStatus(f, now);
    const left = f.metadata.signed.expires - now;
    if (values.json) io.out(JSON.stringify(st));
    else {
      printProject(io, `${positionals[0]}:`, f, now);
      if (st.outside.length) io.out(`not covered by the role (the index refuses them): ${st.outside.join(", ")}`);
      if (left < (minValid ?? REMIND_MS)) {
        io.out(st.expired ? `EXPIRED ${describeExpiry(f.metadata.signed.expires, now)}: renew it now` : `renew soon: expires in ${formatDuration(left)} (tuf-edge project renew ${positionals[0]}, then sign and push)`);
      }
    }
    if (minValid !== undefined && left < minValid) {
      throw new CliError(`${f.role} ${st.expired ? "has expired" : `expires in ${formatDuration(left)}`}, sooner than --min-valid ${values["min-valid"]}`);
    }
  },
};
export default command;
