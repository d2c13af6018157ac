import type { Command } from "../../cli.js";
import { parseOptions, required } from "../../lib/args.js";
import { writeNewCeremonyFile } from "../../lib/ceremony-file.js";
import { printCeremony } from "../../lib/describe.js";
import { parseExpiry } from "../../lib/duration.js";
import { DelegatedRole } from "../../../shared/index.js";
import { claimOf, claimsCeremony, readPublishedClaims } from "../../lib/project-ceremony.js";
import { readProjectFile } from "../../lib/project-file.js";
import { repositoryUrl } from "../../lib/repository-url.js";

const usage = `Usage: tuf-edge ceremony claims --trusted-root ROOT.json [--url URL] [--expires 365d] [--rekey ROLEFILE...] --out FILE

Moves the projects claimed since the last ceremony into claimed (PEP 480; the repository must
have moved with \`ceremony layout\` first). A claim (\`tuf-edge project claim\`) lands at once
in recently-claimed, a list the Worker signs with its online key. This ceremony copies every
claim, unchanged (the same maintainers' keys, threshold and file patterns), into claimed,
which is signed offline: from then on a stolen online key cannot hand the project to someone
else. Run it regularly (monthly, say); it also renews claimed's expiry.

claimed is split into parts, claimed-<prefix>, of at most 1,000 projects each, by the first
letters of the file names, so that an installer downloads only the part it needs.

Fetches the published metadata from URL and checks it from ROOT.json, a root you trust, then
writes FILE with claimed N+1 and every part, unsigned. The keys targets delegates claimed to
(the targets keys, unless \`ceremony layout\` was given --offline-key) sign it with
\`tuf-edge ceremony sign FILE --key KEYFILE\`; \`tuf-edge targets --file FILE --wait\`
publishes it, and the claims it moved leave recently-claimed. A claim made in between stays
in recently-claimed until the next ceremony.

Options:
  --url URL            the repository (default: $TUF_EDGE_URL)
  --trusted-root FILE  a root you trust (N.root.json); newer roots are fetched and checked
  --expires WHEN       expiry of claimed and its parts: a duration (365d) or a date; default 365d
  --rekey ROLEFILE     give a claimed project new keys (a maintainer left, a key was lost or
                       stolen): ROLEFILE is the project's role file with the new keys and
                       threshold (tuf-edge project init with the same name, spellings and pages)
                       and its next version signed by them; publish with
                       \`tuf-edge targets --file FILE --role ROLEFILE\`. The old keys stop working.
  --out FILE           the ceremony file to create (never overwritten)
  -h, --help           show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      url: { type: "string" },
      "trusted-root": { type: "string" },
      expires: { type: "string", default: "365d" },
      out: { type: "string" },
      rekey: { type: "string", multiple: true },
    }, usage);
    const out = required(values.out, "--out");
    const rootFile = required(values["trusted-root"], "--trusted-root");
    const url = repositoryUrl(values.url, io);
    const now = Date.now();
    const expires = parseExpiry(values.expires, "--expires", now);
    const rekey = [];
    for (const file of values.rekey ?? []) {
      const f = await readProjectFile(file);
      rekey.push(claimOf(new DelegatedRole(f.role, Object.keys(f.keys), f.threshold, true, f.paths), f.keys, file));
    }
    const { ceremony, kept, moved } = claimsCeremony(await readPublishedClaims(url, rootFile, now), expires, now, rekey);
    await writeNewCeremonyFile(out, ceremony);
    printCeremony(io, `wrote ${out}:`, ceremony);
    const names = (list: string[]) => (list.length > 10 ? `${list.slice(0, 10).join(", ")}, …` : list.join(", "));
    io.out(`claims: ${kept.length} in claimed already; ${moved.length} move in from recently-claimed${moved.length ? ` (${names(moved)})` : ""}`);
    if (!moved.length) io.out("recently-claimed holds no claim: this ceremony only renews claimed and its parts");
    const roles = (values.rekey ?? []).map((f) => ` --role ${f}`).join("");
    io.out(`next: the keys that sign claimed run \`tuf-edge ceremony sign ${out} --key KEYFILE\`; then \`tuf-edge targets --file ${out}${roles} --wait\``);
  },
};
export default command;
