import { FieldError } from "../errors.js";
import { Delegations, Targets } from "../metadata/targets.js";
import type { Key } from "../keys.js";
import { CLAIMED, type LayoutKeys, RECENTLY_CLAIMED, UNCLAIMED, layoutDelegations } from "./layout.js";

/**
 * The move from PEP 458's layout (targets → bins) to PEP 480's (targets → claimed,
 * recently-claimed, unclaimed → bins), made at a targets ceremony. The bins keep their names,
 * keys and versions, and `unclaimed` delegates to them exactly as targets did, so a client that
 * trusted the old targets resolves every file to the same bin after the move; the snapshot of the
 * commit that publishes the new targets also lists the three new roles (and nothing goes missing).
 */
export interface Migration {
  /** The next targets version, signed by the targets keys at the ceremony. */
  readonly targets: Targets;
  /** Version 1 of the three new roles: claimed and unclaimed offline, recently-claimed online. */
  readonly roles: ReadonlyMap<string, Targets>;
}

export function migrateToProjectLayout(current: Targets, keys: LayoutKeys, expires: { offline: number; online: number }): Migration {
  const bins = current.delegations?.succinctRoles;
  if (!bins) throw new FieldError("targets.signed.delegations.succinct_roles", "the move starts from targets delegating to hashed bins");
  const binKeys = bins.keyids.map((id) => current.delegations!.keys[id]!) as Key[];
  const targets = new Targets({
    version: current.version + 1, expires: expires.offline, specVersion: current.specVersion, extra: current.extra,
    targets: new Map(current.targets), delegations: layoutDelegations(keys),
  });
  // The bins' delegation, unchanged: same keys, threshold, bit length and name prefix.
  const unclaimed = new Targets({ version: 1, expires: expires.offline, delegations: new Delegations(Object.fromEntries(binKeys.map((k) => [k.keyid, k])), undefined, bins) });
  const empty = (at: number) => new Targets({ version: 1, expires: at });
  return { targets, roles: new Map([[CLAIMED, empty(expires.offline)], [RECENTLY_CLAIMED, empty(expires.online)], [UNCLAIMED, unclaimed]]) };
}
