import { writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Command } from "../../cli.js";
import { parseOptions } from "../../lib/args.js";
import { formatStatus, listed, rolesSignedBy, signCeremony, signatureStatus } from "../../lib/signoff.js";
import { readCeremonyFile, replaceCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { decryptKeyFile, loadKeyFile } from "../../lib/keyfile.js";
import { readPassphrase } from "../../lib/passphrase.js";

const usage = `Usage: tuf-edge ceremony sign FILE --key KEYFILE [--passphrase-env VAR]

Adds this key's signature to every role in the ceremony file FILE that it must sign: root
(for a new root version, the keys of the current root and of the new one both sign), targets,
and in PEP 480's layout claimed, unclaimed and claimed's parts (claimed-<prefix>: by default the
targets keys sign those too). Shows what is being signed first, then how many signatures each
role still lacks. FILE is rewritten in place; pass it on to the next key holder.

Options:
  --key KEYFILE         your encrypted key file (from \`tuf-edge keygen\`)
  --passphrase-env VAR  read its passphrase from environment variable VAR (default: ask)
  -h, --help            show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      key: { type: "string" },
      "passphrase-env": { type: "string" },
    }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one ceremony FILE");
    const file = positionals[0]!;
    if (values.key === undefined) throw new UsageError("--key is required");
    const ceremony = await readCeremonyFile(file);
    const keyFile = await loadKeyFile(values.key);
    printCeremony(io, `${file} (${ceremony.kind}):`, ceremony, false);
    if (rolesSignedBy(ceremony, keyFile.keyid).length === 0) {
      throw new CliError(`key ${keyFile.keyid} (${values.key}) is not one of the keys that sign ${file}`);
    }
    const passphrase = await readPassphrase(io, values["passphrase-env"], `Passphrase for key ${keyFile.keyid}`);
    const signer = await decryptKeyFile(keyFile, passphrase);
    const { ceremony: signed, signed: roles } = await signCeremony(ceremony, signer);
    await replaceCeremonyFile(file, signed);
    io.out(`signed ${listed(roles)} with key ${signer.key.keyid}`);
    const status = signatureStatus(signed);
    for (const line of formatStatus(status)) io.out(line);
    const complete = status.every((s) => s.missing === 0);
    io.out(complete ? "all thresholds are met: ready to publish" : "more signatures are needed");
    if (complete && signed.root) {
      const out = join(dirname(file), `${signed.root.signed.version}.root.json`);
      await writeFile(out, signed.root.toBytes());
      io.out(`wrote ${out}: the signed root, to hand to installers and to \`tuf-edge verify --root ${basename(out)}\``);
    }
  },
};
export default command;
