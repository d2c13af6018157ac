import type { Command } from "../../cli.js";
import { parseOptions } from "../../lib/args.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { decryptKeyFile, loadKeyFile } from "../../lib/keyfile.js";
import { readPassphrase } from "../../lib/passphrase.js";
import { readProjectFile, replaceProjectFile } from "../../lib/project-file.js";
import { describeProject, signatureLine } from "../../lib/project-print.js";

const usage = `Usage: tuf-edge project sign FILE --key KEYFILE [--passphrase-env VAR]

Shows what the role file FILE lists, then adds your signature to it, and says who still has to
sign. FILE is rewritten in place; pass it on to the next maintainer.

Options:
  --key KEYFILE         your encrypted key file (from \`tuf-edge project keygen\`)
  --passphrase-env VAR  read its passphrase from environment variable VAR (default: ask)
  -h, --help            show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { key: { type: "string" }, "passphrase-env": { type: "string" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    if (values.key === undefined) throw new UsageError("--key is required");
    const file = positionals[0]!;
    const f = await readProjectFile(file);
    const keyFile = await loadKeyFile(values.key);
    const now = Date.now();
    if (!Object.hasOwn(f.keys, keyFile.keyid)) throw new CliError(`key ${keyFile.keyid} (${values.key}) is not one of the keys that sign ${f.role}`);
    for (const line of describeProject(f, now)) io.out(line);
    const signer = await decryptKeyFile(keyFile, await readPassphrase(io, values["passphrase-env"], `Passphrase for key ${keyFile.keyid}`));
    const next = { ...f, metadata: await f.metadata.sign([signer]) };
    await replaceProjectFile(file, next);
    io.out(`signed ${f.role} v${f.metadata.signed.version} with key ${signer.key.keyid}`);
    io.out(signatureLine(next, now));
  },
};
export default command;
