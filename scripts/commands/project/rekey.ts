import type { Command } from "../../cli.js";
import { parseOptions, required, requiredPositiveInt } from "../../lib/args.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { readNamedPublicKey } from "../../lib/keyfile.js";
import { changed, readProjectFile, replaceProjectFile } from "../../lib/project-file.js";
import { printProject } from "../../lib/project-print.js";

const usage = `Usage: tuf-edge project rekey FILE --key PUB... --threshold T

Changes who signs your project: a maintainer leaves, a key is lost or stolen. FILE gets the new
maintainers' public keys and threshold, and the next version of your role (the same files), to be
signed by the NEW keys. Then the index takes the old keys out:
  - claimed since the index's last ceremony: the operator runs
    \`tuf-edge project claim FILE --replace\`, effective at once;
  - otherwise, at the index's next claims ceremony:
    \`tuf-edge ceremony claims --rekey FILE\`, published with \`tuf-edge targets --role FILE\`.
From then on the old keys sign nothing the index or installers accept. A role under yours (the
friend's) is changed with \`project delegate\` instead.

Options:
  --key PUB       a maintainer's public key (*.pub.json); repeat for each
  --threshold T   how many of them must sign each version
  -h, --help      show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { key: { type: "string", multiple: true }, threshold: { type: "string" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    const file = positionals[0]!;
    const f = await readProjectFile(file);
    if (f.role.includes(".")) throw new CliError(`${f.role} is delegated by ${f.role.slice(0, f.role.lastIndexOf("."))}'s role: change its key there with \`tuf-edge project delegate\``);
    const threshold = requiredPositiveInt(values.threshold, "--threshold");
    const named = await Promise.all(required(values.key, "--key").map(readNamedPublicKey));
    const keys = Object.fromEntries(named.map(({ key }) => [key.keyid, key]));
    if (Object.keys(keys).length !== named.length) throw new UsageError("a --key is given twice");
    if (threshold > named.length) throw new UsageError(`--threshold ${threshold} is more than the ${named.length} keys given`);
    const next = { ...changed(f, {}), keys, threshold, names: Object.fromEntries(named.map(({ key, name }) => [key.keyid, name])) };
    await replaceProjectFile(file, next);
    printProject(io, `updated ${file} (new keys; the new maintainers sign it, then the index takes the old keys out):`, next);
  },
};
export default command;
