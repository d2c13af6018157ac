import { FieldError } from "../errors.js";
import { type JsonObject, readInt, readString, unrecognized } from "../json.js";
import { formatExpires, parseExpires } from "../time.js";

export const SPEC_VERSION = "1.0.31";
export type RoleType = "root" | "targets" | "snapshot" | "timestamp";

/** The fields every signed role shares (spec §4.2: _type, spec_version, version, expires). */
export interface Common {
  readonly version: number;
  /** Milliseconds since the epoch, whole seconds. */
  readonly expires: number;
  readonly specVersion: string;
  /** Fields the spec does not name; kept and signed over. */
  readonly extra: JsonObject;
}

const COMMON_KEYS = ["_type", "spec_version", "version", "expires"];

export function readCommon(o: JsonObject, type: RoleType, known: readonly string[]): Common {
  const actual = readString(o, "_type", "signed");
  if (actual !== type) throw new FieldError("signed._type", `expected ${type}, got ${actual}`);
  const specVersion = readString(o, "spec_version", "signed");
  if (!/^1\.\d+(\.\d+)?$/.test(specVersion)) {
    throw new FieldError("signed.spec_version", `major version must be 1, got ${specVersion}`);
  }
  return {
    version: readInt(o, "version", "signed", 1),
    expires: parseExpires(readString(o, "expires", "signed"), "signed.expires"),
    specVersion,
    extra: unrecognized(o, [...COMMON_KEYS, ...known]),
  };
}

export function commonJSON(type: RoleType, c: Common): JsonObject {
  return {
    ...c.extra,
    _type: type,
    spec_version: c.specVersion,
    version: c.version,
    expires: formatExpires(c.expires),
  };
}

/** Validates version and returns `expires` truncated to whole seconds (all the format can say). */
export function checkCommon(c: Pick<Common, "version" | "expires">): number {
  if (!Number.isSafeInteger(c.version) || c.version < 1) throw new FieldError("version", "must be a positive integer");
  if (!Number.isFinite(c.expires)) throw new FieldError("expires", "must be a time");
  return Math.floor(c.expires / 1000) * 1000;
}
