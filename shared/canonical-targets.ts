import { canonicalJson } from "./canonical.js";
import { canonicalMembers } from "./canonical-scan.js";
import { TargetFile } from "./metadata/files.js";
import { Targets } from "./metadata/targets.js";

/**
 * A targets role's `targets` as canonical JSON entries (`"path":{...}`), sorted the way
 * canonicalJson sorts object keys (UTF-16 code units, JavaScript's default order). A bin re-signed
 * after a few changes re-encodes only the changed entries and splices them in at their sorted place;
 * the result is byte-identical to canonicalJson of the whole role (test/shared/canonical-splice.test.ts).
 */
export class CanonicalTargets {
  private constructor(
    /** Sorted, unique. */
    private readonly paths: readonly string[],
    /** entries[i] is `"paths[i]":{...}`. */
    private readonly entries: readonly string[],
  ) {}

  static readonly empty = new CanonicalTargets([], []);

  static fromMap(targets: ReadonlyMap<string, TargetFile>): CanonicalTargets {
    const paths = [...targets.keys()].sort();
    return new CanonicalTargets(paths, paths.map((p) => targetEntry(p, targets.get(p)!)));
  }

  get size(): number {
    return this.paths.length;
  }

  /** Characters of the encoded entries (the bytes, for ASCII paths): what the bin-size bound measures. */
  get length(): number {
    let n = 2;
    for (const e of this.entries) n += e.length + 1;
    return n;
  }

  /** The listed paths that start with `prefix`, in order (the paths are sorted: one binary search). */
  pathsWithPrefix(prefix: string): string[] {
    const out: string[] = [];
    for (let i = lowerBound(this.paths, prefix); i < this.paths.length && this.paths[i]!.startsWith(prefix); i++) out.push(this.paths[i]!);
    return out;
  }

  /** The file listed at `path`, parsed from its entry (only the entry, not the role). */
  file(path: string): TargetFile | undefined {
    const i = this.indexOf(path);
    if (i < 0) return undefined;
    const entry = this.entries[i]!;
    const value = entry.slice(canonicalJson(path).length + 1);
    return TargetFile.fromJSON(JSON.parse(value), `signed.targets.${path}`);
  }

  /** The targets after `changes` (a null file removes the path); this one is left as it is. */
  with(changes: readonly { readonly path: string; readonly file: TargetFile | null }[]): CanonicalTargets {
    if (changes.length === 0) return this;
    const last = new Map<string, TargetFile | null>();
    for (const c of changes) last.set(c.path, c.file);
    const paths = [...this.paths];
    const entries = [...this.entries];
    for (const [path, file] of last) {
      const i = lowerBound(paths, path);
      const present = i < paths.length && paths[i] === path;
      if (file === null) {
        if (present) {
          paths.splice(i, 1);
          entries.splice(i, 1);
        }
      } else if (present) {
        entries[i] = targetEntry(path, file);
      } else {
        paths.splice(i, 0, path);
        entries.splice(i, 0, targetEntry(path, file));
      }
    }
    return new CanonicalTargets(paths, entries);
  }

  /** The canonical JSON of the `targets` object. */
  toString(): string {
    return `{${this.entries.join(",")}}`;
  }

  private indexOf(path: string): number {
    const i = lowerBound(this.paths, path);
    return i < this.paths.length && this.paths[i] === path ? i : -1;
  }

  /** From the canonical text of a `targets` object whose members the scanner found. */
  static fromScanned(text: string, members: readonly { key: string; start: number; end: number }[]): CanonicalTargets {
    return new CanonicalTargets(members.map((m) => m.key), members.map((m) => text.slice(m.start, m.end)));
  }
}

/** First index whose path is not below `path` (the order canonicalJson sorts keys in). */
function lowerBound(paths: readonly string[], path: string): number {
  let lo = 0;
  let hi = paths.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (paths[mid]! < path) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `"path":{...}`; canonicalJson refuses a path or field that could canonicalize differently. */
export const targetEntry = (path: string, file: TargetFile): string => `${canonicalJson(path)}:${canonicalJson(file.toJSON())}`;

/**
 * The canonical JSON of a targets role's `signed`: every field of `head` but its targets, which come
 * from `targets`. Equal to canonicalJson(role.toJSON()) for the role holding those targets.
 */
export function canonicalTargetsRole(head: Targets, targets: CanonicalTargets): string {
  const json = head.toJSON();
  const keys = Object.keys(json).sort();
  const parts: string[] = [];
  for (const key of keys) {
    if (key === "targets") parts.push(`"targets":${targets.toString()}`);
    else if (json[key] !== undefined) parts.push(`${canonicalJson(key)}:${canonicalJson(json[key])}`);
  }
  return `{${parts.join(",")}}`;
}

/** A targets role read from its canonical `signed` text: every field but the targets, and the targets' entries. */
export interface ScannedTargetsRole {
  /** The role with an empty `targets` (what canonicalTargetsRole takes back). */
  readonly head: Targets;
  readonly targets: CanonicalTargets;
}

/**
 * Reads a stored targets role's envelope `{"signatures":[...],"signed":{...}}`, reusing the entries'
 * bytes when the whole file is canonical JSON (as this writer stores it). Otherwise it parses and
 * re-encodes every entry: slower, same result, and a value that cannot be signed is refused.
 */
export function scanTargetsRole(text: string): ScannedTargetsRole {
  // One pass: envelope, then `signed`, then `targets`, whose members are the entries.
  const top = canonicalMembers(text, 0, text.length, 2);
  const members = top?.find((m) => m.key === "signed")?.members;
  const targets = members?.find((m) => m.key === "targets");
  const entries = targets?.members;
  if (!members || !targets || !entries) {
    const role = Targets.fromJSON((JSON.parse(text) as { signed?: unknown }).signed);
    return { head: new Targets({ ...role, targets: new Map() }), targets: CanonicalTargets.fromMap(role.targets) };
  }
  const rest: Record<string, unknown> = Object.create(null);
  for (const m of members) rest[m.key] = m === targets ? {} : JSON.parse(text.slice(m.valueStart, m.end));
  return { head: Targets.fromJSON(rest), targets: CanonicalTargets.fromScanned(text, entries) };
}
