import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { blake2b } from "@noble/hashes/blake2.js";
import { TargetFile, toHex } from "../../../shared/index.js";
import type { Command } from "../../cli.js";
import { parseOptions, required } from "../../lib/args.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { changed, readProjectFile, replaceProjectFile } from "../../lib/project-file.js";
import { printProject } from "../../lib/project-print.js";
import { matchesAny } from "../../../shared/projects/index.js";
import { hashFile } from "../../lib/upload.js";

const addUsage = `Usage: tuf-edge project add FILE --file LOCALFILE... [--dir DIR | --pypi]

Lists each LOCALFILE in the role file FILE, with its length and sha256, at the path where the
index publishes it: DIR/<file name> (default packages/<project>), or with --pypi PyPI's
packages/<blake2b-256 of the file, split 2/2/60>/<file name>. A file the role does not cover
(another project's, or one outside the pattern delegated to you) is refused.
Signatures collected so far are dropped: the maintainers sign the new version.

Options:
  --file LOCALFILE  a release file (wheel, sdist, .metadata); repeat for several
  --dir DIR         the directory the index publishes it under
  --pypi            PyPI's layout (hash-named directories)
  -h, --help        show this help`;

const removeUsage = `Usage: tuf-edge project remove FILE --path TARGET...

Takes the target paths out of the role file FILE (as listed by \`tuf-edge project status\`).
Installers stop accepting the file once the new version is pushed. Signatures so far are dropped.

Options:
  --path TARGET  a listed target path; repeat for several
  -h, --help     show this help`;

/** PyPI's file host path: packages/{b2[0:2]}/{b2[2:4]}/{b2[4:]}/{filename}, blake2b-256 of the bytes. */
async function pypiPath(file: string): Promise<string> {
  const h = toHex(blake2b(new Uint8Array(await readFile(file)), { dkLen: 32 }));
  return `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4)}/${basename(file)}`;
}

export const add: Command = {
  usage: addUsage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { file: { type: "string", multiple: true }, dir: { type: "string" }, pypi: { type: "boolean" } }, addUsage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    if (values.pypi && values.dir !== undefined) throw new UsageError("give --dir or --pypi, not both");
    const roleFile = positionals[0]!;
    const f = await readProjectFile(roleFile);
    const dir = (values.dir ?? `packages/${f.project}`).replace(/\/+$/, "");
    const targets = new Map(f.metadata.signed.targets);
    for (const local of required(values.file, "--file")) {
      const path = values.pypi ? await pypiPath(local) : `${dir}/${basename(local)}`;
      if (!matchesAny(f.paths, path)) throw new CliError(`${path} is not covered by ${f.role} (${f.paths.join(", ")}); only ${f.project}'s files that match them can be listed`);
      const { length, sha256 } = await hashFile(local);
      const before = targets.get(path);
      if (before && before.hashes.sha256 !== sha256) throw new CliError(`${path} is listed already with other bytes; a published file never changes (remove it, and release under a new name)`);
      targets.set(path, new TargetFile(length, { sha256 }));
    }
    const next = changed(f, { targets });
    await replaceProjectFile(roleFile, next);
    printProject(io, `updated ${roleFile}:`, next);
  },
};

export const remove: Command = {
  usage: removeUsage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { path: { type: "string", multiple: true } }, removeUsage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    const roleFile = positionals[0]!;
    const f = await readProjectFile(roleFile);
    const targets = new Map(f.metadata.signed.targets);
    for (const path of required(values.path, "--path")) {
      if (!targets.delete(path)) throw new CliError(`${path} is not listed in ${roleFile}`);
    }
    const next = changed(f, { targets });
    await replaceProjectFile(roleFile, next);
    printProject(io, `updated ${roleFile}:`, next);
  },
};
