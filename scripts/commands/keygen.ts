import { access } from "node:fs/promises";
import { ed25519Signer, randomSeed, toHex } from "../../shared/index.js";
import type { Command } from "../cli.js";
import { parseOptions, required } from "../lib/args.js";
import { CliError, UsageError } from "../lib/errors.js";
import { DEFAULT_SCRYPT, TEST_SCRYPT, encryptSeed, publicKeyJSON, publicKeyPath, writeNewFile } from "../lib/keyfile.js";
import { MIN_PASSPHRASE_LENGTH, insecureTestKeys, readPassphrase } from "../lib/passphrase.js";

const usage = `Usage: tuf-edge keygen --out FILE [--name NAME] [--passphrase-env VAR]
       tuf-edge keygen --online --out FILE

Creates an Ed25519 key pair. Neither file is ever overwritten, and no secret is printed.

Offline key (a root or targets key holder):
  FILE           the private seed, encrypted with your passphrase (scrypt N=2^17 r=8 p=1,
                 AES-256-GCM; JSON, mode 0600). Keep it offline.
                 The passphrase must have ${MIN_PASSPHRASE_LENGTH} characters or more.
  FILE.pub.json  the public key in TUF form; hand it to whoever runs \`ceremony init\`.
  The passphrase comes from the environment variable VAR, or is asked twice on the terminal.

Online key (--online), which signs timestamp, snapshot and bins in the Worker:
  FILE           the 32-byte seed as 64 hex characters (mode 0600), not encrypted: it is exactly
                 the Worker's ONLINE_KEY secret (\`wrangler secret put ONLINE_KEY < FILE\`, or
                 ONLINE_KEY=... in .dev.vars). Keep it offline with the other keys: a
                 rotation needs the new seed twice (ONLINE_KEY_NEXT, then ONLINE_KEY).
  FILE.pub.json  its public key, for \`ceremony init --online-key\`.

Options:
  --out FILE            where to write the key (required)
  --passphrase-env VAR  read the passphrase of an offline key from environment variable VAR
  --online              create the online key
  --name NAME           the holder's name, shown by \`ceremony status\` (default: FILE's name)
  --json                print what was written as JSON
  -h, --help            show this help`;

async function assertAbsent(file: string) {
  const exists = await access(file).then(() => true, () => false);
  if (exists) throw new CliError(`${file} already exists; not overwriting it`);
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      out: { type: "string" },
      "passphrase-env": { type: "string" },
      online: { type: "boolean" },
      name: { type: "string" },
      json: { type: "boolean" },
    }, usage);
    const name = values.name?.trim();
    if (name !== undefined && (name === "" || name.length > 100)) throw new UsageError("--name must be 1 to 100 characters");
    const out = required(values.out, "--out");
    if (values.online && values["passphrase-env"] !== undefined) {
      throw new UsageError("--online keys are not encrypted (the Worker needs the raw seed); drop --passphrase-env");
    }
    await assertAbsent(out);
    await assertAbsent(publicKeyPath(out));

    const seed = randomSeed();
    const { key } = await ed25519Signer(seed);
    if (values.online) {
      await writeNewFile(out, `${toHex(seed)}\n`, 0o600);
    } else {
      const passphrase = await readPassphrase(io, values["passphrase-env"], "Passphrase for the new key", true);
      const test = insecureTestKeys(io);
      if (test) io.err("WARNING: TUF_EDGE_INSECURE_TEST_KEYS=1: a cheap key for tests, not for a real repository");
      const keyFile = await encryptSeed(seed, passphrase, test ? TEST_SCRYPT : DEFAULT_SCRYPT);
      await writeNewFile(out, `${JSON.stringify(name ? { ...keyFile, name } : keyFile, null, 2)}\n`, 0o600);
    }
    seed.fill(0);
    await writeNewFile(publicKeyPath(out), publicKeyJSON(key, name), 0o644);
    if (values.json) {
      io.out(JSON.stringify({ file: out, publicKeyFile: publicKeyPath(out), keyid: key.keyid, online: values.online === true, ...(name ? { name } : {}) }));
      return;
    }
    const kind = values.online ? "online key seed (hex, for ONLINE_KEY)" : "encrypted private key";
    io.out(`wrote ${out} (${kind}, mode 0600) and ${publicKeyPath(out)} (public key)`);
    io.out(`keyid ${key.keyid}`);
  },
};
export default command;
