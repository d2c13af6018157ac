import { rename, writeFile } from "node:fs/promises";
import { FieldError, Key, Metadata, Targets, type TargetsFields, formatExpires, isExpired } from "../../shared/index.js";
import { matchesAny } from "../../shared/projects/index.js";
import { CliError } from "./errors.js";
import { readJsonFile, writeNewFile } from "./keyfile.js";

/**
 * A project role file: one role's metadata (`project-demo`, or a friend's `project-demo.win`) with
 * what its maintainers need to sign it in turn, away from the repository: the delegation the index
 * (or the parent role) gave it — keys, threshold, patterns — and the holders' names.
 */
export const PROJECT_FILE_FORMAT = "tuf-edge-project/1";

export interface ProjectFile {
  readonly project: string;
  /** The role's name: `project-demo`, `project-demo.win`. */
  readonly role: string;
  /** The patterns delegated to it: its targets must fall within them. */
  readonly paths: readonly string[];
  readonly keys: Readonly<Record<string, Key>>;
  readonly threshold: number;
  readonly names: Readonly<Record<string, string>>;
  /** The version last pushed (0: never): a change after it makes the next version. */
  readonly pushedVersion: number;
  readonly metadata: Metadata<Targets>;
}

export function projectFileJSON(f: ProjectFile) {
  return {
    format: PROJECT_FILE_FORMAT,
    project: f.project,
    role: f.role,
    paths: [...f.paths],
    threshold: f.threshold,
    keys: Object.fromEntries(Object.entries(f.keys).map(([id, k]) => [id, k.toJSON()])),
    names: f.names,
    pushedVersion: f.pushedVersion,
    metadata: f.metadata.toJSON(),
  };
}

export function parseProjectFile(json: unknown, file: string): ProjectFile {
  const o = json as Record<string, unknown> | null;
  if (o?.format !== PROJECT_FILE_FORMAT) throw new CliError(`${file} is not a tuf-edge project role file (expected format ${PROJECT_FILE_FORMAT})`);
  try {
    const strings = (v: unknown, field: string) => {
      if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new FieldError(field, "must be a list of strings");
      return v as string[];
    };
    const int = (v: unknown, field: string, min: number) => {
      if (!Number.isSafeInteger(v) || (v as number) < min) throw new FieldError(field, `must be a whole number ≥ ${min}`);
      return v as number;
    };
    if (typeof o.project !== "string" || typeof o.role !== "string") throw new FieldError("project", "project and role must be strings");
    const keys = Object.fromEntries(Object.entries((o.keys ?? {}) as Record<string, unknown>).map(([id, k]) => {
      const key = Key.fromJSON(k, `keys.${id}`);
      if (key.keyid !== id) throw new FieldError(`keys.${id}`, "is not that key's keyid");
      return [id, key];
    }));
    const names = Object.fromEntries(Object.entries((o.names ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === "string")) as Record<string, string>;
    return {
      project: o.project, role: o.role, paths: strings(o.paths, "paths"), keys, names,
      threshold: int(o.threshold, "threshold", 1), pushedVersion: int(o.pushedVersion ?? 0, "pushedVersion", 0),
      metadata: Metadata.fromJSON(o.metadata, "targets"),
    };
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${file} is a corrupted project role file: ${e.message}`);
    throw e;
  }
}

export const readProjectFile = async (file: string): Promise<ProjectFile> => parseProjectFile(await readJsonFile(file), file);

const text = (f: ProjectFile) => `${JSON.stringify(projectFileJSON(f), null, 2)}\n`;
export const writeNewProjectFile = (file: string, f: ProjectFile) => writeNewFile(file, text(f), 0o644);

/** Replaced atomically: an interrupted signing never leaves half a file. */
export async function replaceProjectFile(file: string, f: ProjectFile): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text(f));
  await rename(tmp, file);
}

/** What a change may set; the rest of the role is kept. */
export type RoleChange = Partial<Pick<TargetsFields, "targets" | "delegations" | "expires">>;

/**
 * The file after a change to what the role says: signatures dropped (they were over the old
 * bytes), and the version one past the pushed one, so the index and clients see a new version.
 */
export function changed(f: ProjectFile, change: RoleChange): ProjectFile {
  const s = f.metadata.signed;
  const signed = new Targets({
    version: Math.max(s.version, f.pushedVersion + 1),
    expires: change.expires ?? s.expires,
    specVersion: s.specVersion,
    extra: s.extra,
    targets: change.targets ?? new Map(s.targets),
    delegations: "delegations" in change ? change.delegations : s.delegations,
  });
  return { ...f, metadata: new Metadata(signed) };
}

export const holder = (f: ProjectFile, keyid: string) => f.names[keyid] ?? `key ${keyid.slice(0, 8)}`;

export interface ProjectStatus {
  role: string;
  version: number;
  expires: string;
  expired: boolean;
  targets: number;
  outside: string[];
  threshold: number;
  signedBy: string[];
  missing: string[];
  complete: boolean;
}

export function projectStatus(f: ProjectFile, now: number): ProjectStatus {
  const signers = new Set(f.metadata.validSigners({ keyids: Object.keys(f.keys), threshold: f.threshold }, f.keys));
  const ids = Object.keys(f.keys);
  const s = f.metadata.signed;
  return {
    role: f.role,
    version: s.version,
    expires: formatExpires(s.expires),
    expired: isExpired(s.expires, now),
    targets: s.targets.size,
    outside: [...s.targets.keys()].filter((p) => !matchesAny(f.paths, p)),
    threshold: f.threshold,
    signedBy: ids.filter((id) => signers.has(id)).map((id) => holder(f, id)),
    missing: ids.filter((id) => !signers.has(id)).map((id) => holder(f, id)),
    complete: signers.size >= f.threshold,
  };
}
