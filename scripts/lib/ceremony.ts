import {
  DelegatedRole, Delegations, FieldError, type Key, Metadata, Role, Root, SuccinctRoles, Targets, VerificationError,
} from "../../shared/index.js";
import { CLAIMED, RECENTLY_CLAIMED, UNCLAIMED, isProjectLayout } from "../../shared/projects/index.js";
import { CliError, UsageError } from "./errors.js";

/**
 * A ceremony file carries the metadata that offline key holders sign, passed from holder to holder:
 * - `init`: root v1 and targets v1, for `bootstrap`;
 * - `rotate`: root N+1 (and targets M+1 when its keys or the online key change), for `rotate`;
 *   `trusted_root` is root N, whose keys must also sign N+1 (spec §5.3.4);
 * - `targets`: a new targets version (e.g. renewed expiry), for `targets`; `trusted_root` is the
 *   root whose targets keys sign it.
 * - `layout` (PEP 480): targets M+1 delegating to claimed, recently-claimed and unclaimed, with
 *   `roles` claimed v1 and unclaimed v1 beside it, for `targets`;
 * - `claims` (PEP 480): claimed N+1 and its parts in `roles`, for `targets`; `trusted_targets` is
 *   targets as published, whose delegation to claimed names who signs it.
 * `trusted_root` and `trusted_targets` are never published; they are there so signers and the CLI
 * can check thresholds.
 */
export const CEREMONY_FORMAT = "tuf-edge-ceremony/1";
export type CeremonyKind = "init" | "rotate" | "targets" | "layout" | "claims";

export interface Ceremony {
  readonly kind: CeremonyKind;
  readonly root?: Metadata<Root>;
  readonly trustedRoot?: Metadata<Root>;
  readonly targets?: Metadata<Targets>;
  /** targets as published, when the ceremony does not change it: it delegates claimed and unclaimed. */
  readonly trustedTargets?: Metadata<Targets>;
  /** PEP 480's offline roles besides targets (claimed, unclaimed, claimed-<prefix>), by name. */
  readonly roles?: ReadonlyMap<string, Metadata<Targets>>;
  /** Who holds each key (keyid → name given at keygen): unsigned, only to tell holders apart. */
  readonly names?: Readonly<Record<string, string>>;
}

export const BINS_PREFIX = "bins";

export function ceremonyJSON(c: Ceremony) {
  return {
    format: CEREMONY_FORMAT,
    kind: c.kind,
    ...(c.root && { root: c.root.toJSON() }),
    ...(c.trustedRoot && { trusted_root: c.trustedRoot.toJSON() }),
    ...(c.targets && { targets: c.targets.toJSON() }),
    ...(c.trustedTargets && { trusted_targets: c.trustedTargets.toJSON() }),
    ...(c.roles && { roles: rolesJSON(c.roles) }),
    ...(c.names && Object.keys(c.names).length ? { key_names: c.names } : {}),
  };
}

export function parseCeremony(json: unknown, file: string): Ceremony {
  const o = json as Record<string, unknown> | null;
  if (o?.format !== CEREMONY_FORMAT) throw new CliError(`${file} is not a tuf-edge ceremony file (expected format ${CEREMONY_FORMAT})`);
  const kind = o.kind as CeremonyKind;
  const needs: Record<CeremonyKind, string[]> = {
    init: ["root", "targets"], rotate: ["root", "trusted_root"], targets: ["trusted_root", "targets"],
    layout: ["trusted_root", "targets", "roles"], claims: ["trusted_root", "trusted_targets", "roles"],
  };
  if (!Object.hasOwn(needs, kind)) throw new CliError(`${file}: unknown ceremony kind ${JSON.stringify(kind)}`);
  for (const field of needs[kind]) if (o[field] === undefined) throw new CliError(`${file}: a ${kind} ceremony needs ${field}`);
  let c: Ceremony;
  try {
    c = {
      kind,
      root: o.root === undefined ? undefined : Metadata.fromJSON(o.root, "root"),
      trustedRoot: o.trusted_root === undefined ? undefined : Metadata.fromJSON(o.trusted_root, "root"),
      targets: o.targets === undefined ? undefined : Metadata.fromJSON(o.targets, "targets"),
      trustedTargets: o.trusted_targets === undefined ? undefined : Metadata.fromJSON(o.trusted_targets, "targets"),
      ...(o.roles !== undefined ? { roles: readRoles(o.roles) } : {}),
      ...(o.key_names !== undefined ? { names: readNames(o.key_names, file) } : {}),
    };
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${file}: ${e.message}`);
    throw e;
  }
  for (const name of c.roles?.keys() ?? []) {
    if (!roleDelegation(c, name)) throw new CliError(`${file}: roles.${name}: nothing in the ceremony delegates to ${name}, so no one could sign it`);
  }
  return c;
}

const rolesJSON = (roles: ReadonlyMap<string, Metadata<Targets>>) => Object.fromEntries([...roles].map(([name, m]) => [name, m.toJSON()]));

/** The roles a PEP 480 ceremony signs besides targets: claimed, unclaimed, and claimed's parts. */
const isCeremonyRole = (name: string): boolean => name === CLAIMED || name === UNCLAIMED || name.startsWith(`${CLAIMED}-`);

function readRoles(value: unknown): Map<string, Metadata<Targets>> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new FieldError("roles", "must map role names to signed metadata");
  return new Map(Object.entries(value).map(([name, json]) => {
    if (!isCeremonyRole(name)) throw new FieldError(`roles.${name}`, "is not a role a ceremony signs (claimed, unclaimed, claimed-<prefix>)");
    try {
      return [name, Metadata.fromJSON(json, "targets")];
    } catch (e) {
      if (e instanceof FieldError) throw new FieldError(e.field ? `roles.${name}.${e.field}` : `roles.${name}`, e.reason);
      throw e;
    }
  }));
}

/** Who signs one of the ceremony's `roles`: the delegation to it, the keys it names, and in words. */
export interface RoleDelegation {
  readonly role: DelegatedRole;
  readonly keys: Readonly<Record<string, Key>>;
  readonly label: string;
}

/**
 * The delegation to one of the ceremony's `roles`: claimed and unclaimed are delegated by targets
 * (the ceremony's new one, else the published one), a part `claimed-<prefix>` by the ceremony's
 * claimed. Undefined when nothing in the ceremony delegates to it.
 */
export function roleDelegation(c: Ceremony, name: string): RoleDelegation | undefined {
  const [delegator, parent] = name === CLAIMED || name === UNCLAIMED ? ["targets", c.targets ?? c.trustedTargets] : [CLAIMED, c.roles?.get(CLAIMED)];
  const d = parent?.signed.delegations;
  const role = d?.roles?.find((r) => r.name === name);
  return role && { role, keys: d!.keys, label: `the keys ${delegator} v${parent!.signed.version} delegates it to` };
}

function readNames(value: unknown, file: string): Record<string, string> {
  const ok = typeof value === "object" && value !== null && !Array.isArray(value) &&
    Object.entries(value).every(([k, v]) => /^[0-9a-f]{64}$/.test(k) && typeof v === "string" && v.length <= 100);
  if (!ok) throw new CliError(`${file}: key_names must map keyids to names`);
  return value as Record<string, string>;
}

const keyMap = (keys: Iterable<Key>): Record<string, Key> => Object.fromEntries([...keys].map((k) => [k.keyid, k]));

function checkThreshold(role: string, keyids: readonly string[], threshold: number) {
  if (new Set(keyids).size !== keyids.length) throw new UsageError(`${role}: the same key is given twice`);
  if (keyids.length === 0) throw new UsageError(`${role}: needs at least one key`);
  if (threshold > keyids.length) throw new UsageError(`${role}: threshold ${threshold} is more than its ${keyids.length} keys`);
}

/** PEP 458: the online key signs timestamp, snapshot and bins only, never root or targets. */
function checkOnlineKeySeparate(online: string, root: readonly string[], targets: readonly string[]) {
  if (root.includes(online) || targets.includes(online)) {
    throw new UsageError("the online key must not also be a root or targets key");
  }
}

export interface InitOptions {
  rootKeys: Key[];
  rootThreshold: number;
  targetsKeys: Key[];
  targetsThreshold: number;
  onlineKey: Key;
  bitLength: number;
  expires: number;
}

/**
 * Root v1 and targets v1 (unsigned). Timestamp and snapshot use the online key; targets stays
 * offline and delegates every path to 2^bitLength succinct bins that the online key signs (TAP 15),
 * so the online key alone can never add a delegation (PEP 458).
 */
export function initCeremony(o: InitOptions): Ceremony {
  const rootIds = o.rootKeys.map((k) => k.keyid);
  const targetsIds = o.targetsKeys.map((k) => k.keyid);
  checkThreshold("root", rootIds, o.rootThreshold);
  checkThreshold("targets", targetsIds, o.targetsThreshold);
  checkOnlineKeySeparate(o.onlineKey.keyid, rootIds, targetsIds);
  const online = [o.onlineKey.keyid];
  const root = new Root({
    version: 1,
    expires: o.expires,
    consistentSnapshot: true,
    keys: keyMap([...o.rootKeys, ...o.targetsKeys, o.onlineKey]),
    roles: {
      root: new Role(rootIds, o.rootThreshold),
      targets: new Role(targetsIds, o.targetsThreshold),
      snapshot: new Role(online, 1),
      timestamp: new Role(online, 1),
    },
  });
  const bins = new SuccinctRoles(online, 1, o.bitLength, BINS_PREFIX);
  const targets = new Targets({ version: 1, expires: o.expires, delegations: new Delegations(keyMap([o.onlineKey]), undefined, bins) });
  return { kind: "init", root: new Metadata(root), targets: new Metadata(targets) };
}

/** Checks that offline metadata given as input is what clients trust now: signed by a threshold. */
export function checkTrusted(root: Metadata<Root>, targets?: Metadata<Targets>) {
  try {
    root.verifyDelegate(`root v${root.signed.version}`, root.signed.roles.root, root.signed.keys);
    targets?.verifyDelegate(`targets v${targets.signed.version}`, root.signed.roles.targets, root.signed.keys);
  } catch (e) {
    if (e instanceof VerificationError) throw new CliError(`${e.message} (is this the published file?)`);
    throw e;
  }
}

export interface RotateOptions {
  trustedRoot: Metadata<Root>;
  /** The targets now published; required when a new targets version is needed. */
  currentTargets?: Metadata<Targets>;
  addRootKeys?: Key[];
  removeRootKeys?: string[];
  rootThreshold?: number;
  addTargetsKeys?: Key[];
  removeTargetsKeys?: string[];
  targetsThreshold?: number;
  onlineKey?: Key;
  /** In PEP 480's layout, the unclaimed now published: its bins move to the new online key too. */
  currentUnclaimed?: Metadata<Targets>;
  expires: number;
  targetsExpires: number;
}

function applyChanges(role: string, keyids: readonly string[], add: Key[], remove: string[]): string[] {
  for (const id of remove) if (!keyids.includes(id)) throw new UsageError(`${role}: key ${id} is not one of its keys`);
  for (const k of add) if (keyids.includes(k.keyid)) throw new UsageError(`${role}: key ${k.keyid} is already one of its keys`);
  return [...keyids.filter((id) => !remove.includes(id)), ...add.map((k) => k.keyid)];
}

/**
 * Root N+1 from root N: root and targets keys added or removed, thresholds changed, the online key
 * replaced, or only a new expiry. A new targets version (M+1) comes with it when the targets keys or
 * the online key change (bins must then be delegated to the new online key), or when asked for.
 */
export function rotateCeremony(o: RotateOptions): Ceremony {
  checkTrusted(o.trustedRoot, o.currentTargets);
  const old = o.trustedRoot.signed;
  const rootIds = applyChanges("root", old.roles.root.keyids, o.addRootKeys ?? [], o.removeRootKeys ?? []);
  const targetsIds = applyChanges("targets", old.roles.targets.keyids, o.addTargetsKeys ?? [], o.removeTargetsKeys ?? []);
  const rootThreshold = o.rootThreshold ?? old.roles.root.threshold;
  const targetsThreshold = o.targetsThreshold ?? old.roles.targets.threshold;
  checkThreshold("root", rootIds, rootThreshold);
  checkThreshold("targets", targetsIds, targetsThreshold);
  const online = o.onlineKey;
  if (online && old.roles.timestamp.keyids.join() === online.keyid && old.roles.snapshot.keyids.join() === online.keyid) {
    throw new UsageError(`${online.keyid} is already the online key`);
  }
  const onlineIds = online ? [online.keyid] : undefined;

  const known = keyMap([...Object.values(old.keys), ...(o.addRootKeys ?? []), ...(o.addTargetsKeys ?? []), ...(online ? [online] : [])]);
  const roles = {
    root: new Role(rootIds, rootThreshold, old.roles.root.extra),
    targets: new Role(targetsIds, targetsThreshold, old.roles.targets.extra),
    snapshot: onlineIds ? new Role(onlineIds, 1) : old.roles.snapshot,
    timestamp: onlineIds ? new Role(onlineIds, 1) : old.roles.timestamp,
  };
  for (const id of [...roles.timestamp.keyids, ...roles.snapshot.keyids]) checkOnlineKeySeparate(id, rootIds, targetsIds);
  const used = new Set(Object.values(roles).flatMap((r) => r.keyids));
  const root = new Root({
    version: old.version + 1,
    expires: o.expires,
    specVersion: old.specVersion,
    extra: old.extra,
    consistentSnapshot: old.consistentSnapshot,
    keys: Object.fromEntries(Object.entries(known).filter(([id]) => used.has(id))),
    roles,
  });

  const targetsKeysChanged = targetsIds.join() !== old.roles.targets.keyids.join() || targetsThreshold !== old.roles.targets.threshold;
  let targets: Metadata<Targets> | undefined;
  if (online || targetsKeysChanged || o.currentTargets) {
    if (!o.currentTargets) {
      throw new UsageError("a new targets version is needed (the online or targets keys change): give the published one with --from-targets");
    }
    targets = new Metadata(nextTargets(o.currentTargets.signed, o.targetsExpires, online));
  }
  // PEP 480's layout: recently-claimed moves with targets M+1 (nextTargets), the bins with unclaimed N+1.
  if (online && targets && isProjectLayout(targets.signed)) {
    if (!o.currentUnclaimed) throw new UsageError("targets delegates in PEP 480's layout: give the published unclaimed with --from-unclaimed (its bins move to the new online key)");
    const unclaimed = nextTargets(o.currentUnclaimed.signed, o.targetsExpires, online);
    return { kind: "rotate", root: new Metadata(root), trustedRoot: o.trustedRoot, targets, roles: new Map([[UNCLAIMED, new Metadata(unclaimed)]]) };
  }
  return { kind: "rotate", root: new Metadata(root), trustedRoot: o.trustedRoot, targets };
}

/** Targets M+1 with the same content; with `online`, the succinct bins are delegated to that key. */
export function nextTargets(current: Targets, expires: number, online?: Key): Targets {
  let delegations = current.delegations;
  if (online && delegations && isProjectLayout(current)) {
    // PEP 480's layout: recently-claimed is the online role targets delegates to.
    const recent = delegations.roles!.find((r) => r.name === RECENTLY_CLAIMED)!;
    const keys = keyMap([...Object.values(delegations.keys).filter((k) => !recent.keyids.includes(k.keyid) || delegations!.roles!.some((r) => r !== recent && r.keyids.includes(k.keyid))), online]);
    const roles = delegations.roles!.map((r) => (r === recent ? new DelegatedRole(r.name, [online.keyid], 1, r.terminating, r.paths, r.pathHashPrefixes, r.extra) : r));
    delegations = new Delegations(keys, roles, undefined, delegations.extra);
  } else if (online) {
    const bins = delegations?.succinctRoles;
    if (!delegations || !bins) throw new CliError("the targets role has no succinct_roles delegation to move to the new online key");
    const keys = keyMap([...Object.values(delegations.keys).filter((k) => !bins.keyids.includes(k.keyid)), online]);
    const moved = new SuccinctRoles([online.keyid], bins.threshold, bins.bitLength, bins.namePrefix, bins.extra);
    delegations = new Delegations(keys, undefined, moved, delegations.extra);
  }
  return new Targets({
    version: current.version + 1,
    expires,
    specVersion: current.specVersion,
    extra: current.extra,
    targets: new Map(current.targets),
    delegations,
  });
}

/** A new targets version with the same content and a new expiry, signed by the targets keys of `trustedRoot`. */
export function renewTargetsCeremony(trustedRoot: Metadata<Root>, currentTargets: Metadata<Targets>, expires: number): Ceremony {
  checkTrusted(trustedRoot, currentTargets);
  return { kind: "targets", trustedRoot, targets: new Metadata(nextTargets(currentTargets.signed, expires)) };
}
