import { FieldError, withinField } from "../errors.js";
import { type JsonObject, readBool, readInt, readObject, readStringArray, unrecognized } from "../json.js";
import { Key } from "../keys.js";
import { type Common, SPEC_VERSION, checkCommon, commonJSON, readCommon } from "./signed.js";

export const TOP_LEVEL_ROLES = ["root", "targets", "snapshot", "timestamp"] as const;
export type TopLevelRole = (typeof TOP_LEVEL_ROLES)[number];

/** Which keys sign a role, and how many of them must. */
export class Role {
  constructor(
    readonly keyids: readonly string[],
    readonly threshold: number,
    readonly extra: JsonObject = {},
  ) {
    if (!Number.isSafeInteger(threshold) || threshold < 1) throw new FieldError("threshold", "must be at least 1");
    if (new Set(keyids).size !== keyids.length) throw new FieldError("keyids", "must not repeat a keyid");
  }

  static fromJSON(value: unknown, field: string): Role {
    const o = readObject(value, field);
    return withinField(field, () =>
      new Role(readStringArray(o, "keyids", field), readInt(o, "threshold", field, 1), unrecognized(o, ["keyids", "threshold"])),
    );
  }

  toJSON(): JsonObject {
    return { ...this.extra, keyids: [...this.keyids], threshold: this.threshold };
  }
}

/**
 * The key `keyid` names in `keys`, if it is there. Keyids are untrusted strings: "constructor" or
 * "toString" must not find what every object inherits.
 */
export const keyFor = (keys: Readonly<Record<string, Key>>, keyid: string): Key | undefined =>
  Object.hasOwn(keys, keyid) ? keys[keyid] : undefined;

/** Checks that every keyid a role lists is in `keys` (go-tuf refuses metadata otherwise). */
export function checkKeysListed(roles: Iterable<[string, { keyids: readonly string[] }]>, keys: Readonly<Record<string, Key>>, field: string) {
  for (const [name, role] of roles) {
    for (const keyid of role.keyids) {
      if (!keyFor(keys, keyid)) throw new FieldError(`${field}.${name}.keyids`, `keyid ${keyid} is not in keys`);
    }
  }
}

export function readKeys(value: unknown, field: string): Record<string, Key> {
  const o = readObject(value, field);
  // No prototype: nothing but the keys read here is ever found in it.
  const keys = Object.create(null) as Record<string, Key>;
  for (const [keyid, v] of Object.entries(o)) {
    const key = Key.fromJSON(v, `${field}.${keyid}`);
    if (key.keyid !== keyid) throw new FieldError(`${field}.${keyid}`, `keyid does not match the key (expected ${key.keyid})`);
    keys[keyid] = key;
  }
  return keys;
}

export const keysJSON = (keys: Record<string, Key>): JsonObject =>
  Object.fromEntries(Object.entries(keys).map(([id, k]) => [id, k.toJSON()]));

export interface RootFields extends Partial<Common> {
  version: number;
  expires: number;
  consistentSnapshot?: boolean;
  keys: Record<string, Key>;
  roles: Record<TopLevelRole, Role>;
}

/** root.json (spec §4.3): the keys and thresholds of the four top-level roles. */
export class Root implements Common {
  readonly type = "root";
  readonly version: number;
  readonly expires: number;
  readonly specVersion: string;
  readonly extra: JsonObject;
  readonly consistentSnapshot: boolean;
  readonly keys: Readonly<Record<string, Key>>;
  readonly roles: Readonly<Record<TopLevelRole, Role>>;

  constructor(f: RootFields) {
    this.expires = checkCommon(f);
    this.version = f.version;
    this.specVersion = f.specVersion ?? SPEC_VERSION;
    this.extra = f.extra ?? {};
    this.consistentSnapshot = f.consistentSnapshot ?? true;
    const names = Object.keys(f.roles).sort();
    if (names.join() !== [...TOP_LEVEL_ROLES].sort().join()) {
      throw new FieldError("signed.roles", `must be exactly ${TOP_LEVEL_ROLES.join(", ")}`);
    }
    checkKeysListed(Object.entries(f.roles), f.keys, "signed.roles");
    this.keys = f.keys;
    this.roles = f.roles;
  }

  static fromJSON(value: unknown): Root {
    const o = readObject(value, "signed");
    const common = readCommon(o, "root", ["consistent_snapshot", "keys", "roles"]);
    const roles = readObject(o.roles, "signed.roles");
    return new Root({
      ...common,
      consistentSnapshot: readBool(o, "consistent_snapshot", "signed"),
      keys: readKeys(o.keys, "signed.keys"),
      roles: Object.fromEntries(Object.entries(roles).map(([n, r]) => [n, Role.fromJSON(r, `signed.roles.${n}`)])) as Record<TopLevelRole, Role>,
    });
  }

  toJSON(): JsonObject {
    return {
      ...commonJSON("root", this),
      consistent_snapshot: this.consistentSnapshot,
      keys: keysJSON(this.keys),
      roles: Object.fromEntries(Object.entries(this.roles).map(([n, r]) => [n, r.toJSON()])),
    };
  }

  /** The keys of a top-level role, for verifying metadata it signs. */
  keysFor(role: TopLevelRole): { role: Role; keys: Readonly<Record<string, Key>> } {
    return { role: this.roles[role], keys: this.keys };
  }
}
