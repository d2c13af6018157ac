import { DelegatedRole, Delegations, Metadata, Targets } from "../../../shared/index.js";
import { ProjectRefusal, subPatterns } from "../../../shared/projects/index.js";
import type { Command } from "../../cli.js";
import { parseOptions, required, requiredPositiveInt } from "../../lib/args.js";
import { parseExpiry } from "../../lib/duration.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { readNamedPublicKey } from "../../lib/keyfile.js";
import { changed, readProjectFile, replaceProjectFile, writeNewProjectFile } from "../../lib/project-file.js";
import { printProject } from "../../lib/project-print.js";

const usage = `Usage: tuf-edge project delegate FILE --name NAME --files GLOB --key PUB... [--threshold 1]
         --out FRIENDFILE [--expires 365d]

Lets other keys sign some of your project's files: for example a friend who builds the Windows
wheels, and nothing else:

  tuf-edge project delegate demo.role.json --name win --files '*-win*.whl' --key friend.key.pub.json --out demo-win.role.json

Adds the delegation to FILE (your maintainers sign it again), and creates FRIENDFILE, the
friend's own role file (role <your role>.NAME), to hand over: the friend adds the wheels to it,
signs it and pushes it. GLOB is a file name pattern (* and ? only); it is narrowed to your
project's files, so it can never reach another project's. Installers accept a file of the
friend's only if it matches GLOB.

Options:
  --name NAME         a short name for the delegation (letters, digits, -)
  --files GLOB        which of your files it may sign, by file name
  --key PUB           the delegate's public key; repeat for several
  --threshold T       how many of those keys must sign (default 1)
  --out FRIENDFILE    the delegate's role file to create
  --expires WHEN      the delegate's first expiry (default 365d)
  -h, --help          show this help`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, {
      name: { type: "string" }, files: { type: "string" }, key: { type: "string", multiple: true },
      threshold: { type: "string", default: "1" }, out: { type: "string" }, expires: { type: "string", default: "365d" },
    }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    const name = required(values.name, "--name");
    if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(name)) throw new UsageError("--name must be 1 to 40 lower-case letters, digits or -");
    const out = required(values.out, "--out");
    const threshold = requiredPositiveInt(values.threshold, "--threshold");
    const named = await Promise.all(required(values.key, "--key").map(readNamedPublicKey));
    if (threshold > named.length) throw new UsageError(`--threshold ${threshold} is more than the ${named.length} keys given`);
    const file = positionals[0]!;
    const f = await readProjectFile(file);
    let paths: string[];
    try {
      paths = subPatterns(f.paths, required(values.files, "--files"));
    } catch (e) {
      if (e instanceof ProjectRefusal) throw new CliError(e.message);
      throw e;
    }
    const role = `${f.role}.${name}`;
    const before = f.metadata.signed.delegations;
    if (before?.succinctRoles) throw new CliError(`${f.role} delegates to hashed bins; a role delegates to bins or to named roles, not both`);
    if (before?.roles?.some((r) => r.name === role)) throw new CliError(`${f.role} delegates to ${role} already`);
    const keys = Object.fromEntries(named.map(({ key }) => [key.keyid, key]));
    const delegation = new DelegatedRole(role, Object.keys(keys), threshold, true, paths);
    const delegations = new Delegations({ ...before?.keys, ...keys }, [...(before?.roles ?? []), delegation]);
    const friend = {
      project: f.project, role, paths, keys, threshold, pushedVersion: 0,
      names: Object.fromEntries(named.map(({ key, name: n }) => [key.keyid, n])),
      metadata: new Metadata(new Targets({ version: 1, expires: parseExpiry(values.expires, "--expires", Date.now()) })),
    };
    await writeNewProjectFile(out, friend);
    const next = changed(f, { delegations });
    await replaceProjectFile(file, next);
    printProject(io, `updated ${file}:`, next);
    io.out(`wrote ${out}: ${role}'s role file, for ${paths.join("  ")}; hand it to its key holder`);
  },
};
export default command;
