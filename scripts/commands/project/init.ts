import type { Command } from "../../cli.js";
import { Metadata, Targets } from "../../../shared/index.js";
import { normalizeProject } from "../../../shared/simple/names.js";
import { parseOptions, required, requiredPositiveInt } from "../../lib/args.js";
import { parseExpiry } from "../../lib/duration.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { readNamedPublicKey } from "../../lib/keyfile.js";
import { writeNewProjectFile } from "../../lib/project-file.js";
import { printProject } from "../../lib/project-print.js";
import { ProjectRefusal, claimPatterns, claimRoleName } from "../../../shared/projects/index.js";

const usage = `Usage: tuf-edge project init --project NAME --key PUB... --threshold T
         [--namespace] [--spelling NAME...] [--pages] [--expires 365d] --out FILE

Creates FILE, your project's role file: version 1, no files yet, unsigned. It records the
maintainers' public keys and how many of them must sign: give the index the same keys and
threshold when you claim the project.

The role covers your project's files by their names: \`demo-*\` for demo (modern wheels and
sdists spell the name in lower case with _, so \`demo-*\` is only demo's). Files published long
ago under another spelling (\`Demo-0.1.tar.gz\`, \`zope.interface-4.0.tar.gz\`) are covered only
if you name that spelling with --spelling.

Options:
  --project NAME      your project's name (as on the index)
  --key PUB           a maintainer's public key (*.pub.json from keygen); repeat for each
  --threshold T       how many maintainers must sign each version
  --namespace         NAME is a PEP 752 namespace: the role covers every project NAME-*
                      (its files named NAME_*; older NAME-x-1.0.tar.gz files need --spelling NAME-x)
  --spelling NAME     an older spelling of the name in file names; repeat as needed
  --pages             you also sign your project's simple pages (else the index does)
  --expires WHEN      a duration (365d) or a date (2027-01-01T00:00:00Z); default 365d
  --out FILE          the role file to create (never overwritten)
  -h, --help          show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      project: { type: "string" },
      key: { type: "string", multiple: true },
      threshold: { type: "string" },
      spelling: { type: "string", multiple: true },
      pages: { type: "boolean" },
      namespace: { type: "boolean" },
      expires: { type: "string", default: "365d" },
      out: { type: "string" },
    }, usage);
    const project = required(values.project, "--project");
    const out = required(values.out, "--out");
    const threshold = requiredPositiveInt(values.threshold, "--threshold");
    const named = await Promise.all(required(values.key, "--key").map(readNamedPublicKey));
    const keys = Object.fromEntries(named.map(({ key }) => [key.keyid, key]));
    if (Object.keys(keys).length !== named.length) throw new UsageError("a --key is given twice");
    if (threshold > named.length) throw new UsageError(`--threshold ${threshold} is more than the ${named.length} keys given`);
    let paths: string[];
    try {
      paths = claimPatterns({ project, namespace: values.namespace, spellings: values.spelling, pages: values.pages });
    } catch (e) {
      if (e instanceof ProjectRefusal) throw new CliError(e.message);
      throw e;
    }
    const expires = parseExpiry(values.expires, "--expires", Date.now());
    const file = {
      project: normalizeProject(project),
      role: claimRoleName({ project, namespace: values.namespace }),
      paths, keys, threshold,
      names: Object.fromEntries(named.map(({ key, name }) => [key.keyid, name])),
      pushedVersion: 0,
      metadata: new Metadata(new Targets({ version: 1, expires })),
    };
    await writeNewProjectFile(out, file);
    printProject(io, `wrote ${out}:`, file);
  },
};
export default command;
