import { type JsonObject, readInt, readObject, setField, jsonRecord } from "./json.js";
import { TargetFile } from "./metadata/files.js";

/**
 * The publisher's rules for what a path may hold over time (architecture.md, invariant 5):
 * - a path published without a serial is immutable: other bytes are refused, and once removed it is
 *   never published again (as on PyPI, where a filename is never reused);
 * - a path published with a serial (a project's simple page) is replaced only by a higher serial, so
 *   no duplicate, reordered or replayed update rolls it back; a removed one keeps its serial.
 * Pure functions over what a bin holds: one decision per path, in the order uploads are applied.
 */

/**
 * What a bin remembers of a removed path: its serial when it was mutable, nothing when immutable;
 * `unpublished` when the removal came before any publish of the path (reordered delivery). Those
 * records are bounded per bin (MAX_UNPUBLISHED_REMOVAL_BYTES), so they cannot fill one.
 */
export interface Removal {
  readonly serial?: number;
  readonly unpublished?: true;
}

/** Bytes of removal records of paths never published that one bin keeps (a tenth of its bound); past it, such a removal is refused. */
export const MAX_UNPUBLISHED_REMOVAL_BYTES = 100_000;

/** How far past the path's serial (0 for a new path) an update may jump: a serial near 2^53 would freeze the path for good. */
export const MAX_SERIAL_STEP = 2 ** 40;

/** The bins' own field (signed, so mirrors see revocations too) that lists removed paths. */
export const REMOVED_FIELD = "x-tuf-edge-removed";

export type PathOutcome = "published" | "unchanged" | "superseded" | "rejected";

export type Decision =
  /** The path's new content: a file, or removed (with what the bin records of it). */
  | { readonly outcome: "published"; readonly file: TargetFile | null; readonly removal?: Removal }
  | { readonly outcome: "unchanged" | "superseded" }
  | { readonly outcome: "rejected"; readonly reason: string };

/** The serial a signed entry states in custom.serial; undefined for an immutable target. */
export function serialOf(file: TargetFile): number | undefined {
  const s = file.custom?.serial;
  return typeof s === "number" ? s : undefined;
}

/** The signed entry of an upload target: its serial goes into custom.serial. */
export function entryFor(length: number, hashes: Readonly<Record<string, string>>, custom?: JsonObject, serial?: number): TargetFile {
  if (serial === undefined) return new TargetFile(length, hashes, custom);
  const c = jsonRecord();
  for (const [k, v] of Object.entries(custom ?? {})) setField(c, k, v);
  c.serial = serial;
  return new TargetFile(length, hashes, c);
}

const REUSED = "was removed, and a removed path is never published again (publish the file under a new name)";
const CONFLICT = "already published with a different length or hashes (files are immutable)";

/** What publishing `incoming` (serial-numbered when `serial` is set) at a path does. */
export function decideAdd(current: TargetFile | null, removed: Removal | null, incoming: TargetFile, serial?: number): Decision {
  const jump = serialJump(current, removed, serial);
  if (jump) return jump;
  if (removed) {
    if (removed.serial === undefined) return { outcome: "rejected", reason: REUSED };
    if (serial === undefined) return { outcome: "rejected", reason: "is serial-numbered: send it with a serial" };
    return serial > removed.serial ? { outcome: "published", file: incoming } : { outcome: "superseded" };
  }
  if (!current) return { outcome: "published", file: incoming };
  const have = serialOf(current);
  if (have === undefined) {
    if (serial !== undefined) return { outcome: "rejected", reason: "is published without a serial (immutable); it cannot gain one" };
    return current.sameFileAs(incoming) ? { outcome: "unchanged" } : { outcome: "rejected", reason: CONFLICT };
  }
  if (serial === undefined) return { outcome: "rejected", reason: `is serial-numbered (serial ${have}): send it with a serial` };
  if (serial > have) return { outcome: "published", file: incoming };
  if (serial < have) return { outcome: "superseded" };
  return current.sameFileAs(incoming) ? { outcome: "unchanged" } : { outcome: "rejected", reason: `serial ${serial} is already published with other content` };
}

/** What removing a path (at `serial`, for a mutable one) does. Removal of an absent path is remembered too. */
export function decideRemove(current: TargetFile | null, removed: Removal | null, serial?: number): Decision {
  const jump = serialJump(current, removed, serial);
  if (jump) return jump;
  if (removed) {
    if (removed.serial === undefined || serial === undefined || serial <= removed.serial) return { outcome: "unchanged" };
    return { outcome: "published", file: null, removal: { serial, ...(removed.unpublished && { unpublished: true }) } };
  }
  if (!current) return { outcome: "published", file: null, removal: { ...(serial !== undefined && { serial }), unpublished: true } };
  const have = serialOf(current);
  if (have === undefined) {
    if (serial !== undefined) return { outcome: "rejected", reason: "is published without a serial (immutable): remove it without one" };
    return { outcome: "published", file: null, removal: {} };
  }
  if (serial === undefined) return { outcome: "published", file: null, removal: { serial: have } };
  if (serial < have) return { outcome: "superseded" };
  if (serial === have) return { outcome: "rejected", reason: `serial ${serial} is published; a removal needs a higher serial` };
  return { outcome: "published", file: null, removal: { serial } };
}

/** A serial too far past the one the path holds is refused (finding 8 of the second review). */
function serialJump(current: TargetFile | null, removed: Removal | null, serial?: number): Decision | null {
  if (serial === undefined) return null;
  const have = (current && serialOf(current)) ?? removed?.serial ?? 0;
  if (serial <= have + MAX_SERIAL_STEP) return null;
  return { outcome: "rejected", reason: `serial ${serial} jumps more than ${MAX_SERIAL_STEP} past the path's serial ${have}` };
}

/** A bin's removal records, from its signed extra fields (absent: none). */
export function readRemovals(extra: JsonObject): Map<string, Removal> {
  const out = new Map<string, Removal>();
  const field = extra[REMOVED_FIELD];
  if (field === undefined) return out;
  for (const [path, value] of Object.entries(readObject(field, REMOVED_FIELD))) {
    const o = readObject(value, `${REMOVED_FIELD}.${path}`);
    out.set(path, {
      ...(o.serial !== undefined && { serial: readInt(o, "serial", `${REMOVED_FIELD}.${path}`) }),
      ...(o.unpublished === true && { unpublished: true }),
    });
  }
  return out;
}

/** The extra fields of a bin with these removal records (the field is left out when there are none). */
export function withRemovals(extra: JsonObject, removals: ReadonlyMap<string, Removal>): JsonObject {
  const out = jsonRecord();
  for (const [k, v] of Object.entries(extra)) if (k !== REMOVED_FIELD) setField(out, k, v);
  if (removals.size === 0) return out;
  const field = jsonRecord();
  for (const [path, r] of removals) setField(field, path, { ...(r.serial !== undefined && { serial: r.serial }), ...(r.unpublished && { unpublished: true }) });
  out[REMOVED_FIELD] = field;
  return out;
}

/**
 * A bin's extra fields after `changes`: every removed path is remembered (as an immutable one unless
 * the change says its serial), and a path published again is forgotten. Unchanged when no change
 * touches a removal.
 */
export function extraAfter(extra: JsonObject, changes: readonly { path: string; file: unknown; removal?: Removal }[]): JsonObject {
  if (extra[REMOVED_FIELD] === undefined && changes.every((c) => c.file !== null)) return extra;
  const removals = readRemovals(extra);
  for (const c of changes) {
    if (c.file !== null) removals.delete(c.path);
    else removals.set(c.path, c.removal ?? {});
  }
  return withRemovals(extra, removals);
}
