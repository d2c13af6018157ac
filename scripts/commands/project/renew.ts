import type { Command } from "../../cli.js";
import { parseOptions } from "../../lib/args.js";
import { parseExpiry } from "../../lib/duration.js";
import { UsageError } from "../../lib/errors.js";
import { changed, readProjectFile, replaceProjectFile } from "../../lib/project-file.js";
import { printProject } from "../../lib/project-print.js";

const usage = `Usage: tuf-edge project renew FILE [--expires 365d]

Makes a new version of the role in FILE with a later expiry and the same files. The maintainers
sign it again and push it before the pushed one expires.

Options:
  --expires WHEN  a duration from now (365d) or a date (2027-01-01T00:00:00Z); default 365d
  -h, --help      show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { expires: { type: "string", default: "365d" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    const file = positionals[0]!;
    const f = await readProjectFile(file);
    const next = changed(f, { expires: parseExpiry(values.expires, "--expires", Date.now()) });
    await replaceProjectFile(file, next);
    printProject(io, `updated ${file}:`, next);
  },
};
export default command;
