import type { Command } from "../../cli.js";
import { parseOptions, required, requiredPositiveInt } from "../../lib/args.js";
import { initCeremony } from "../../lib/ceremony.js";
import { writeNewCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { parseExpiry } from "../../lib/duration.js";
import { UsageError } from "../../lib/errors.js";
import { readNamedPublicKey } from "../../lib/keyfile.js";

const usage = `Usage: tuf-edge ceremony init --root-key PUB... --root-threshold T
         --targets-key PUB... --targets-threshold T --online-key PUB
         [--bits 14] [--expires 365d] --out FILE

Creates FILE, a ceremony file with root v1 and targets v1, unsigned:
- root (consistent snapshots): the root and targets keys and thresholds given; timestamp and
  snapshot signed by the online key (threshold 1);
- targets: no targets of its own; delegates every path to 2^bits succinct hashed bins
  (bins-0000 …) that the online key signs. Targets stays offline (PEP 458), so a stolen online
  key cannot add delegations.
Then each key holder runs \`tuf-edge ceremony sign FILE --key KEYFILE\`, and
\`tuf-edge bootstrap --file FILE\` publishes it.

Options:
  --root-key PUB          a root public key file (*.pub.json); repeat for each holder
  --root-threshold T      how many root keys must sign
  --targets-key PUB       a targets public key file; repeat for each holder
  --targets-threshold T   how many targets keys must sign
  --online-key PUB        the online key's public key file (keygen --online)
  --bits K                2^K hashed bins; must match the Worker's BINS_BIT_LENGTH (default 14)
  --expires WHEN          expiry of root and targets: a duration (365d, 52w) or a date
                          (2027-01-01T00:00:00Z); default 365d
  --out FILE              the ceremony file to create (never overwritten)
  -h, --help              show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      "root-key": { type: "string", multiple: true },
      "root-threshold": { type: "string" },
      "targets-key": { type: "string", multiple: true },
      "targets-threshold": { type: "string" },
      "online-key": { type: "string" },
      bits: { type: "string", default: "14" },
      expires: { type: "string", default: "365d" },
      out: { type: "string" },
    }, usage);
    const out = required(values.out, "--out");
    const bitLength = requiredPositiveInt(values.bits, "--bits");
    if (bitLength > 16) throw new UsageError("--bits must be at most 16 (65,536 bins)");
    const now = Date.now();
    const named = new Map<string, string>();
    const readPublicKey = async (file: string) => {
      const { key, name } = await readNamedPublicKey(file);
      named.set(key.keyid, name);
      return key;
    };
    const initial = initCeremony({
      rootKeys: await Promise.all(required(values["root-key"], "--root-key").map(readPublicKey)),
      rootThreshold: requiredPositiveInt(values["root-threshold"], "--root-threshold"),
      targetsKeys: await Promise.all(required(values["targets-key"], "--targets-key").map(readPublicKey)),
      targetsThreshold: requiredPositiveInt(values["targets-threshold"], "--targets-threshold"),
      onlineKey: await readPublicKey(required(values["online-key"], "--online-key")),
      bitLength,
      expires: parseExpiry(values.expires, "--expires", now),
    });
    const ceremony = { ...initial, names: Object.fromEntries(named) };
    await writeNewCeremonyFile(out, ceremony);
    printCeremony(io, `wrote ${out}:`, ceremony);
  },
};
export default command;
