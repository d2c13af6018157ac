import type { Command } from "../../cli.js";
import { parseOptions, parsePositiveInt, required } from "../../lib/args.js";
import { rotateCeremony } from "../../lib/ceremony.js";
import { readRootFile, readTargetsFile, writeNewCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { parseExpiry } from "../../lib/duration.js";
import { readKeyid, readNamedPublicKey } from "../../lib/keyfile.js";

const usage = `Usage: tuf-edge ceremony rotate --from-root N.root.json [--from-targets M.targets.json] [--from-unclaimed K.unclaimed.json]
         [--add-root-key PUB]... [--remove-root-key PUB|KEYID]... [--root-threshold T]
         [--add-targets-key PUB]... [--remove-targets-key PUB|KEYID]... [--targets-threshold T]
         [--online-key PUB] [--expires 365d] [--targets-expires 365d] --out FILE

Creates FILE, a ceremony file with root N+1 made from root N (the one published now: a local
copy, or its URL, <url>/metadata/N.root.json). Root N+1 must be signed by a threshold of root N's root keys
and by a threshold of its own (spec 5.3.4); \`ceremony sign\` reports both counts.

With --online-key, timestamp and snapshot move to the new online key, and so must the hashed
bins: that needs a new targets version, made from the published one (--from-targets
<url>/metadata/M.targets.json). Changing the targets keys needs one too. Without any change,
this renews root's expiry. Publish the signed file with \`tuf-edge rotate --file FILE\`.

Options:
  --from-root FILE|URL        the current root (N.root.json), signed
  --from-unclaimed FILE|URL   in PEP 480's layout, with --online-key: the current unclaimed
                              (K.unclaimed.json), whose bins move to the new key in unclaimed
                              K+1 (targets M+1 moves recently-claimed to it); sign it with the keys
                              targets delegates unclaimed to
  --from-targets FILE|URL     the current targets (M.targets.json); makes targets M+1
  --add-root-key PUB          add a root key (repeatable)
  --remove-root-key PUB|ID    remove a root key, by public key file or keyid (repeatable)
  --root-threshold T          new root threshold (default: unchanged)
  --add-targets-key PUB       add a targets key (repeatable)
  --remove-targets-key PUB|ID remove a targets key (repeatable)
  --targets-threshold T       new targets threshold (default: unchanged)
  --online-key PUB            replace the online key
  --expires WHEN              expiry of root N+1 (default 365d)
  --targets-expires WHEN      expiry of targets M+1 (default 365d)
  --out FILE                  the ceremony file to create (never overwritten)
  -h, --help                  show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values: v } = parseOptions(args, {
      "from-root": { type: "string" },
      "from-targets": { type: "string" },
      "from-unclaimed": { type: "string" },
      "add-root-key": { type: "string", multiple: true, default: [] },
      "remove-root-key": { type: "string", multiple: true, default: [] },
      "root-threshold": { type: "string" },
      "add-targets-key": { type: "string", multiple: true, default: [] },
      "remove-targets-key": { type: "string", multiple: true, default: [] },
      "targets-threshold": { type: "string" },
      "online-key": { type: "string" },
      expires: { type: "string", default: "365d" },
      "targets-expires": { type: "string", default: "365d" },
      out: { type: "string" },
    }, usage);
    const out = required(v.out, "--out");
    const now = Date.now();
    const named = new Map<string, string>();
    const readPublicKey = async (file: string) => {
      const { key, name } = await readNamedPublicKey(file);
      named.set(key.keyid, name);
      return key;
    };
    const rotated = rotateCeremony({
      trustedRoot: await readRootFile(required(v["from-root"], "--from-root")),
      currentTargets: v["from-targets"] === undefined ? undefined : await readTargetsFile(v["from-targets"]),
      currentUnclaimed: v["from-unclaimed"] === undefined ? undefined : await readTargetsFile(v["from-unclaimed"]),
      addRootKeys: await Promise.all(v["add-root-key"].map(readPublicKey)),
      removeRootKeys: await Promise.all(v["remove-root-key"].map(readKeyid)),
      rootThreshold: parsePositiveInt(v["root-threshold"], "--root-threshold"),
      addTargetsKeys: await Promise.all(v["add-targets-key"].map(readPublicKey)),
      removeTargetsKeys: await Promise.all(v["remove-targets-key"].map(readKeyid)),
      targetsThreshold: parsePositiveInt(v["targets-threshold"], "--targets-threshold"),
      onlineKey: v["online-key"] === undefined ? undefined : await readPublicKey(v["online-key"]),
      expires: parseExpiry(v.expires, "--expires", now),
      targetsExpires: parseExpiry(v["targets-expires"], "--targets-expires", now),
    });
    const ceremony = { ...rotated, names: Object.fromEntries(named) };
    await writeNewCeremonyFile(out, ceremony);
    printCeremony(io, `wrote ${out}:`, ceremony);
  },
};
export default command;
