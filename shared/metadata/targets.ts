import { binFor, binNumber } from "../bins.js";
import { FieldError, withinField } from "../errors.js";
import {
  type JsonObject, jsonRecord, readBool, readInt, readObject, readString, readStringArray, unrecognized,
} from "../json.js";
import type { Key } from "../keys.js";
import { TargetFile } from "./files.js";
import { checkKeysListed, keysJSON, readKeys } from "./root.js";
import { type Common, SPEC_VERSION, checkCommon, commonJSON, readCommon } from "./signed.js";

/** One glob segment per path segment; `*` never crosses `/` (how tuf-js and python-tuf match). */
export function globMatches(pattern: string, path: string): boolean {
  const p = pattern.split("/");
  const t = path.split("/");
  if (p.length !== t.length) return false;
  return p.every((seg, i) => {
    const re = seg.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    return new RegExp(`^${re}$`).test(t[i]!);
  });
}

/** tuf-js refuses any role that lists a keyid twice. */
function checkUniqueKeyids(keyids: readonly string[]) {
  if (new Set(keyids).size !== keyids.length) throw new FieldError("keyids", "must not repeat a keyid");
}

/** A delegation to a named role (spec: DELEGATIONS roles); PEP 480 project roles use these. */
export class DelegatedRole {
  constructor(
    readonly name: string,
    readonly keyids: readonly string[],
    readonly threshold: number,
    readonly terminating: boolean,
    readonly paths?: readonly string[],
    readonly pathHashPrefixes?: readonly string[],
    readonly extra: JsonObject = {},
  ) {
    if ((paths === undefined) === (pathHashPrefixes === undefined)) {
      throw new FieldError("paths", "needs exactly one of paths and path_hash_prefixes");
    }
    if (threshold < 1) throw new FieldError("threshold", "must be at least 1");
    checkUniqueKeyids(keyids);
  }

  static fromJSON(value: unknown, field: string): DelegatedRole {
    const o = readObject(value, field);
    return withinField(field, () => new DelegatedRole(
      readString(o, "name", field),
      readStringArray(o, "keyids", field),
      readInt(o, "threshold", field, 1),
      readBool(o, "terminating", field),
      o.paths === undefined ? undefined : readStringArray(o, "paths", field),
      o.path_hash_prefixes === undefined ? undefined : readStringArray(o, "path_hash_prefixes", field),
      unrecognized(o, ["name", "keyids", "threshold", "terminating", "paths", "path_hash_prefixes"]),
    ));
  }

  toJSON(): JsonObject {
    const out: JsonObject = {
      ...this.extra, name: this.name, keyids: [...this.keyids], threshold: this.threshold, terminating: this.terminating,
    };
    if (this.paths) out.paths = [...this.paths];
    if (this.pathHashPrefixes) out.path_hash_prefixes = [...this.pathHashPrefixes];
    return out;
  }

  isDelegatedPath(path: string, pathHash: () => string): boolean {
    if (this.paths) return this.paths.some((p) => globMatches(p, path));
    const h = pathHash();
    return this.pathHashPrefixes!.some((prefix) => h.startsWith(prefix));
  }
}

/** Succinct hashed bin delegation (TAP 15): 2^bitLength roles sharing keys and threshold. */
export class SuccinctRoles {
  constructor(
    readonly keyids: readonly string[],
    readonly threshold: number,
    readonly bitLength: number,
    readonly namePrefix: string,
    readonly extra: JsonObject = {},
  ) {
    if (!Number.isInteger(bitLength) || bitLength < 1 || bitLength > 32) {
      throw new FieldError("bit_length", "must be 1 to 32");
    }
    if (threshold < 1) throw new FieldError("threshold", "must be at least 1");
    checkUniqueKeyids(keyids);
  }

  static fromJSON(value: unknown, field: string): SuccinctRoles {
    const o = readObject(value, field);
    return withinField(field, () => new SuccinctRoles(
      readStringArray(o, "keyids", field),
      readInt(o, "threshold", field, 1),
      readInt(o, "bit_length", field, 1),
      readString(o, "name_prefix", field),
      unrecognized(o, ["keyids", "threshold", "bit_length", "name_prefix"]),
    ));
  }

  toJSON(): JsonObject {
    return {
      ...this.extra, keyids: [...this.keyids], threshold: this.threshold, bit_length: this.bitLength, name_prefix: this.namePrefix,
    };
  }

  get numberOfBins(): number {
    return 2 ** this.bitLength;
  }

  binFor(path: string): string {
    return binFor(path, this.bitLength, this.namePrefix);
  }

  isBin(name: string): boolean {
    return binNumber(name, this.bitLength, this.namePrefix) >= 0;
  }
}

/** `delegations`: keys plus exactly one of `roles` and `succinct_roles`. */
export class Delegations {
  constructor(
    readonly keys: Readonly<Record<string, Key>>,
    readonly roles?: readonly DelegatedRole[],
    readonly succinctRoles?: SuccinctRoles,
    readonly extra: JsonObject = {},
  ) {
    if ((roles === undefined) === (succinctRoles === undefined)) {
      throw new FieldError("signed.delegations", "needs exactly one of roles and succinct_roles");
    }
    const named = roles?.map((r) => [r.name, r] as [string, DelegatedRole]) ?? [["succinct_roles", succinctRoles!]];
    if (roles && new Set(roles.map((r) => r.name)).size !== roles.length) {
      throw new FieldError("signed.delegations.roles", "role names must be unique");
    }
    checkKeysListed(named, keys as Record<string, Key>, "signed.delegations");
  }

  static fromJSON(value: unknown): Delegations {
    const field = "signed.delegations";
    const o = readObject(value, field);
    const roles = o.roles === undefined ? undefined : o.roles;
    if (roles !== undefined && !Array.isArray(roles)) throw new FieldError(`${field}.roles`, "must be an array");
    return new Delegations(
      readKeys(o.keys, `${field}.keys`),
      roles?.map((r, i) => DelegatedRole.fromJSON(r, `${field}.roles[${i}]`)),
      o.succinct_roles === undefined ? undefined : SuccinctRoles.fromJSON(o.succinct_roles, `${field}.succinct_roles`),
      unrecognized(o, ["keys", "roles", "succinct_roles"]),
    );
  }

  toJSON(): JsonObject {
    const out: JsonObject = { ...this.extra, keys: keysJSON(this.keys as Record<string, Key>) };
    if (this.roles) out.roles = this.roles.map((r) => r.toJSON());
    if (this.succinctRoles) out.succinct_roles = this.succinctRoles.toJSON();
    return out;
  }
}

export interface TargetsFields extends Partial<Common> {
  version: number;
  expires: number;
  targets?: Map<string, TargetFile>;
  delegations?: Delegations;
}

/** targets.json and every delegated role, hashed bins included (spec §4.5). */
export class Targets implements Common {
  readonly type = "targets";
  readonly version: number;
  readonly expires: number;
  readonly specVersion: string;
  readonly extra: JsonObject;
  /** Path → file. A Map: paths are untrusted strings ("__proto__" is a valid path). */
  readonly targets: ReadonlyMap<string, TargetFile>;
  readonly delegations?: Delegations;

  constructor(f: TargetsFields) {
    this.expires = checkCommon(f);
    this.version = f.version;
    this.specVersion = f.specVersion ?? SPEC_VERSION;
    this.extra = f.extra ?? {};
    this.targets = f.targets ?? new Map();
    this.delegations = f.delegations;
  }

  static fromJSON(value: unknown): Targets {
    const o = readObject(value, "signed");
    const common = readCommon(o, "targets", ["targets", "delegations"]);
    const targets = new Map<string, TargetFile>();
    for (const [path, t] of Object.entries(readObject(o.targets, "signed.targets"))) {
      targets.set(path, TargetFile.fromJSON(t, `signed.targets.${path}`));
    }
    return new Targets({
      ...common,
      targets,
      delegations: o.delegations === undefined ? undefined : Delegations.fromJSON(o.delegations),
    });
  }

  toJSON(): JsonObject {
    const targets = jsonRecord();
    for (const [path, t] of this.targets) targets[path] = t.toJSON();
    const out: JsonObject = { ...commonJSON("targets", this), targets };
    if (this.delegations) out.delegations = this.delegations.toJSON();
    return out;
  }
}
