import { assertCanonicalSafe, canonicalJson, unsafeStringReason } from "./canonical.js";
import { FieldError } from "./errors.js";
import { utf8 } from "./encoding.js";
import { type JsonObject, readObject } from "./json.js";
import { type Hashes, readHashes } from "./metadata/files.js";

/** One target to publish, as the webhook body lists it (contract.md, "Webhook"). */
export interface UploadTarget {
  readonly path: string;
  readonly length: number;
  readonly hashes: Hashes;
  readonly custom?: JsonObject;
  /** Makes the target mutable, ordered by this number (PyPI's per-project `last_serial`). */
  readonly serial?: number;
}

/** A path to remove; with a serial, a mutable target's removal is ordered like its updates. */
export interface RemoveEntry {
  readonly path: string;
  readonly serial?: number;
}

export interface UploadRequest {
  readonly targets: readonly UploadTarget[];
  readonly remove: readonly RemoveEntry[];
}

/** Every path a request names: its targets, then its removals. */
export const pathsOf = (request: UploadRequest): string[] => [...request.targets.map((t) => t.path), ...request.remove.map((r) => r.path)];

/**
 * Bounds on `custom` (security review): a deep or wide value can make a bin unparseable for
 * python-tuf (nesting past ~1,000) or blow the stack of a recursive encoder, so it is refused at
 * the door, checked without recursion before anything else walks it.
 */
export const CUSTOM_LIMITS = { depth: 8, keys: 64, bytes: 4096 } as const;

function checkCustomBounds(value: unknown, field: string): void {
  const stack: { v: unknown; depth: number }[] = [{ v: value, depth: 1 }];
  let keys = 0;
  while (stack.length) {
    const { v, depth } = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (depth > CUSTOM_LIMITS.depth) throw new FieldError(field, `must nest at most ${CUSTOM_LIMITS.depth} levels deep`);
    const children = Array.isArray(v) ? v : Object.values(v);
    if (!Array.isArray(v)) keys += children.length;
    if (keys > CUSTOM_LIMITS.keys) throw new FieldError(field, `must hold at most ${CUSTOM_LIMITS.keys} keys in all`);
    for (const child of children) stack.push({ v: child, depth: depth + 1 });
  }
  if (utf8(JSON.stringify(value)).length > CUSTOM_LIMITS.bytes) {
    throw new FieldError(field, `must be at most ${CUSTOM_LIMITS.bytes} bytes of JSON`);
  }
}

function readSerial(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new FieldError(field, "must be a non-negative integer");
  }
  return value;
}

export const MAX_PATH_BYTES = 1024;

/** Target path rules of contract.md; throws a FieldError naming `field`. */
export function checkTargetPath(path: unknown, field: string): string {
  if (typeof path !== "string") throw new FieldError(field, "must be a string");
  if (path.length === 0) throw new FieldError(field, "must not be empty");
  const unsafe = unsafeStringReason(path);
  if (unsafe) throw new FieldError(field, unsafe);
  if (path.includes("\\")) throw new FieldError(field, "must not contain a backslash");
  if (path.startsWith("/")) throw new FieldError(field, "must be relative (no leading /)");
  for (const segment of path.split("/")) {
    if (segment === "" || segment === "." || segment === "..") {
      throw new FieldError(field, `must not have an empty, "." or ".." segment`);
    }
  }
  if (utf8(path).length > MAX_PATH_BYTES) throw new FieldError(field, `must be at most ${MAX_PATH_BYTES} bytes of UTF-8`);
  return path;
}

function checkTarget(value: unknown, field: string): UploadTarget {
  const o = readObject(value, field);
  for (const key of Object.keys(o)) {
    if (!["path", "length", "hashes", "custom", "serial"].includes(key)) throw new FieldError(`${field}.${key}`, "is not a known field");
  }
  const path = checkTargetPath(o.path, `${field}.path`);
  const length = o.length;
  if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
    throw new FieldError(`${field}.length`, "must be a non-negative integer");
  }
  if (o.hashes === undefined) throw new FieldError(`${field}.hashes`, "is required");
  const hashes = readHashes(o.hashes, `${field}.hashes`);
  if (!hashes.sha256) throw new FieldError(`${field}.hashes.sha256`, "is required");
  let custom: JsonObject | undefined;
  if (o.custom !== undefined) {
    custom = readObject(o.custom, `${field}.custom`);
    checkCustomBounds(custom, `${field}.custom`);
    assertCanonicalSafe(custom, `${field}.custom`);
    // The signed entry states the serial in custom.serial; only the serial field may set it.
    if (Object.hasOwn(custom, "serial")) throw new FieldError(`${field}.custom.serial`, "is set from the target's serial field");
  }
  const target: UploadTarget = { path, length, hashes, ...(custom && { custom }) };
  return o.serial === undefined ? target : { ...target, serial: readSerial(o.serial, `${field}.serial`) };
}

function checkRemove(value: unknown, field: string): RemoveEntry {
  if (typeof value === "string" || typeof value !== "object" || value === null || Array.isArray(value)) {
    return { path: checkTargetPath(value, field) };
  }
  const o = value as JsonObject;
  for (const key of Object.keys(o)) {
    if (key !== "path" && key !== "serial") throw new FieldError(`${field}.${key}`, "is not a known field");
  }
  const path = checkTargetPath(o.path, `${field}.path`);
  return o.serial === undefined ? { path } : { path, serial: readSerial(o.serial, `${field}.serial`) };
}

/**
 * Validates a webhook body. All or nothing: the first invalid entry throws, naming its field
 * (`targets[3].path`). A path listed twice must be the same entry; it is then listed once.
 */
export function parseUploadRequest(json: unknown): UploadRequest {
  const o = readObject(json, "");
  for (const key of Object.keys(o)) {
    if (key !== "targets" && key !== "remove") throw new FieldError(key, "is not a known field");
  }
  if (o.targets !== undefined && !Array.isArray(o.targets)) throw new FieldError("targets", "must be an array");
  if (o.remove !== undefined && !Array.isArray(o.remove)) throw new FieldError("remove", "must be an array");
  const byPath = new Map<string, UploadTarget>();
  ((o.targets as unknown[] | undefined) ?? []).forEach((value, i) => {
    const t = checkTarget(value, `targets[${i}]`);
    const seen = byPath.get(t.path);
    // One entry per path gets signed: two that differ in anything, custom included, are ambiguous.
    if (seen && canonicalJson(seen) !== canonicalJson(t)) {
      throw new FieldError(`targets[${i}].path`, "is listed twice with different length, hashes or custom");
    }
    byPath.set(t.path, t);
  });
  const remove = new Map<string, RemoveEntry>();
  ((o.remove as unknown[] | undefined) ?? []).forEach((value, i) => {
    const entry = checkRemove(value, `remove[${i}]`);
    if (byPath.has(entry.path)) throw new FieldError(`remove[${i}]`, "is also listed in targets");
    const seen = remove.get(entry.path);
    if (seen && seen.serial !== entry.serial) throw new FieldError(`remove[${i}]`, "is listed twice with different serials");
    remove.set(entry.path, entry);
  });
  if (byPath.size + remove.size === 0) throw new FieldError("targets", "nothing to add or remove");
  return { targets: [...byPath.values()], remove: [...remove.values()] };
}
