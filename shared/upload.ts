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
}

export interface UploadRequest {
  readonly targets: readonly UploadTarget[];
  readonly remove: readonly string[];
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
    if (!["path", "length", "hashes", "custom"].includes(key)) throw new FieldError(`${field}.${key}`, "is not a known field");
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
    assertCanonicalSafe(custom, `${field}.custom`);
  }
  return custom === undefined ? { path, length, hashes } : { path, length, hashes, custom };
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
  const remove = new Set<string>();
  ((o.remove as unknown[] | undefined) ?? []).forEach((value, i) => {
    const path = checkTargetPath(value, `remove[${i}]`);
    if (byPath.has(path)) throw new FieldError(`remove[${i}]`, "is also listed in targets");
    remove.add(path);
  });
  if (byPath.size + remove.size === 0) throw new FieldError("targets", "nothing to add or remove");
  return { targets: [...byPath.values()], remove: [...remove] };
}
