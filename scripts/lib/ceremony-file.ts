import { rename, writeFile } from "node:fs/promises";
import { FieldError, Metadata, type Root, type Targets } from "../../shared/index.js";
import { type Ceremony, ceremonyJSON, parseCeremony } from "./ceremony.js";
import { CliError } from "./errors.js";
import { fetchBytes } from "./http.js";
import { readJsonFile, writeNewFile } from "./keyfile.js";

export async function readCeremonyFile(file: string): Promise<Ceremony> {
  return parseCeremony(await readJsonFile(file), file);
}

const text = (c: Ceremony) => `${JSON.stringify(ceremonyJSON(c), null, 2)}\n`;

/** A new ceremony file; never overwrites one (it may hold signatures collected by others). */
export const writeNewCeremonyFile = (file: string, c: Ceremony) => writeNewFile(file, text(c), 0o644);

/** Replaces a ceremony file atomically, so an interrupted signing never leaves half a file. */
export async function replaceCeremonyFile(file: string, c: Ceremony): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text(c));
  await rename(tmp, file);
}

/** JSON from a file, or from a URL (`https://…/metadata/N.root.json`): what `--from-root` takes. */
async function readJsonSource(source: string): Promise<unknown> {
  if (!/^https?:\/\//.test(source)) return readJsonFile(source);
  const bytes = await fetchBytes(source);
  if (!bytes) throw new CliError(`${source} does not exist (HTTP 404)`);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CliError(`${source} is not valid JSON`);
  }
}

/** A published metadata file (`N.root.json`, `M.targets.json`): a local copy, or its URL in the repository. */
async function readMetadataFile<K extends "root" | "targets">(file: string, type: K) {
  const json = await readJsonSource(file);
  try {
    return Metadata.fromJSON(json, type);
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${file} is not ${type} metadata: ${e.message}`);
    throw e;
  }
}

export const readRootFile = (file: string): Promise<Metadata<Root>> => readMetadataFile(file, "root");
export const readTargetsFile = (file: string): Promise<Metadata<Targets>> => readMetadataFile(file, "targets");
