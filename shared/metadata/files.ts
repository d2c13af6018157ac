import { FieldError } from "../errors.js";
import { isHex } from "../encoding.js";
import { type JsonObject, readInt, readObject, unrecognized } from "../json.js";

export type Hashes = Readonly<Record<string, string>>;

/** Hash algorithms every client can verify (tuf-js and go-tuf fail on blake2b). */
const HASH_HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

export function readHashes(value: unknown, field: string): Hashes {
  const o = readObject(value, field);
  const keys = Object.keys(o);
  if (keys.length === 0) throw new FieldError(field, "must list at least one hash");
  for (const alg of keys) {
    const v = o[alg];
    const length = Object.hasOwn(HASH_HEX_LENGTH, alg) ? HASH_HEX_LENGTH[alg] : undefined;
    if (length === undefined) throw new FieldError(`${field}.${alg}`, "unsupported hash algorithm (use sha256, sha512)");
    if (typeof v !== "string" || !isHex(v, length)) {
      throw new FieldError(`${field}.${alg}`, `must be ${length} lowercase hex characters`);
    }
  }
  return o as Record<string, string>;
}

/** An entry of snapshot or timestamp `meta` (spec: METAFILES). */
export class MetaFile {
  constructor(
    readonly version: number,
    readonly length?: number,
    readonly hashes?: Hashes,
    readonly extra: JsonObject = {},
  ) {
    if (!Number.isSafeInteger(version) || version < 1) throw new FieldError("version", "must be a positive integer");
  }

  static fromJSON(value: unknown, field: string): MetaFile {
    const o = readObject(value, field);
    return new MetaFile(
      readInt(o, "version", field, 1),
      o.length === undefined ? undefined : readInt(o, "length", field),
      o.hashes === undefined ? undefined : readHashes(o.hashes, `${field}.hashes`),
      unrecognized(o, ["version", "length", "hashes"]),
    );
  }

  toJSON(): JsonObject {
    const out: JsonObject = { ...this.extra, version: this.version };
    if (this.length !== undefined) out.length = this.length;
    if (this.hashes !== undefined) out.hashes = { ...this.hashes };
    return out;
  }
}

/** An entry of targets `targets` (spec: TARGETS): length and at least one hash are required. */
export class TargetFile {
  constructor(
    readonly length: number,
    readonly hashes: Hashes,
    readonly custom?: JsonObject,
    readonly extra: JsonObject = {},
  ) {}

  static fromJSON(value: unknown, field: string): TargetFile {
    const o = readObject(value, field);
    return new TargetFile(
      readInt(o, "length", field),
      readHashes(o.hashes, `${field}.hashes`),
      o.custom === undefined ? undefined : readObject(o.custom, `${field}.custom`),
      unrecognized(o, ["length", "hashes", "custom"]),
    );
  }

  toJSON(): JsonObject {
    const out: JsonObject = { ...this.extra, length: this.length, hashes: { ...this.hashes } };
    if (this.custom !== undefined) out.custom = this.custom;
    return out;
  }

  /** Same file: equal length and every hash algorithm both sides list agrees. */
  sameFileAs(other: TargetFile): boolean {
    if (this.length !== other.length) return false;
    const common = Object.keys(this.hashes).filter((alg) => Object.hasOwn(other.hashes, alg));
    return common.length > 0 && common.every((alg) => this.hashes[alg] === other.hashes[alg]);
  }
}
