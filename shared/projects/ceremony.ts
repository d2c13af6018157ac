import { checkNotExpired } from "../client.js";
import { FieldError, VerificationError } from "../errors.js";
import { Metadata } from "../metadata/metadata.js";
import type { DelegatedRole, SuccinctRoles, Targets } from "../metadata/targets.js";
import { CLAIMED, LAYOUT, UNCLAIMED, isProjectLayout } from "./layout.js";
import type { RoleDelegation } from "./verify.js";

/**
 * The offline half of PEP 480's layout, as a targets ceremony submits it (invariant 30): targets
 * delegating to claimed, recently-claimed and unclaimed (in that order), with the roles it signs
 * beside it: `unclaimed` (the bins' delegation), `claimed` and its parts `claimed-<prefix>`. Pure,
 * like shared/offline.ts: the Worker checks all of it before a job publishes anything.
 */

/** The published roles a ceremony builds on: each one's version, and the content of claimed and unclaimed. */
export interface PublishedRoles {
  version(name: string): number | undefined;
  role(name: typeof CLAIMED | typeof UNCLAIMED): Targets | undefined;
}

export interface CheckedLayout {
  /** The submitted roles to publish, by name. */
  readonly roles: ReadonlyMap<string, Metadata<Targets>>;
  /** The bins, as unclaimed delegates them. */
  readonly bins: SuccinctRoles;
  /** targets' delegation to recently-claimed: the online key signs it. */
  readonly recentlyClaimed: DelegatedRole;
  /** Every claim delegation in the parts submitted (their keys must not be online keys). */
  readonly claims: readonly DelegatedRole[];
  /** The same, as a pushed role of each claim must satisfy them (shared/projects/verify.ts). */
  readonly claimDelegations: ReadonlyMap<string, RoleDelegation>;
  /**
   * Project roles submitted with the ceremony, by claim name: a claim whose keys change (a rotation
   * or revocation) brings its next role, signed by the new keys. The caller checks them against
   * the new delegation (and checks that every other claim's published role still verifies).
   */
  readonly claimRoles: ReadonlyMap<string, unknown>;
}

const isPart = (name: string) => name.startsWith(`${CLAIMED}-`);

/** Names a project's delegated role may have: `project-<name>`, `namespace-<prefix>`. */
export const isClaimName = (name: string): boolean => /^(project|namespace)-[a-z0-9]+(-[a-z0-9]+)*$/.test(name);

function parseRole(json: unknown, field: string): Metadata<Targets> {
  try {
    return Metadata.fromJSON(json, "targets");
  } catch (e) {
    if (e instanceof FieldError) throw new FieldError(e.field ? `${field}.${e.field}` : field, e.reason);
    throw e;
  }
}

/** Signed by the delegation, not expired, and newer than the published version. */
function checkRole(name: string, role: Metadata<Targets>, delegation: DelegatedRole, parent: Targets, published: PublishedRoles, now: number): void {
  const field = `roles.${name}`;
  try {
    role.verifyDelegate(name, delegation, parent.delegations!.keys);
    checkNotExpired(name, role.signed.expires, now);
  } catch (e) {
    if (e instanceof VerificationError) throw new FieldError(field, e.message);
    throw e;
  }
  const current = published.version(name);
  if (current !== undefined && role.signed.version <= current) throw new FieldError(`${field}.signed.version`, `must be greater than the published ${current}`);
}

/**
 * Checks targets in the project layout with the roles submitted beside it. Unsubmitted claimed and
 * unclaimed are the published ones; every part claimed names must be submitted or published. Each
 * claim is a terminating delegation to a `project-`/`namespace-` role: what keeps the online key
 * from reaching a claimed project's files.
 */
export function verifyLayout(targets: Targets, rolesJson: Readonly<Record<string, unknown>>, published: PublishedRoles, now: number): CheckedLayout {
  if (!isProjectLayout(targets)) throw new FieldError("targets.signed.delegations.roles", `must delegate to ${LAYOUT.join(", ")}, in that order`);
  const [claimedRole, recentlyClaimed, unclaimedRole] = targets.delegations!.roles! as [DelegatedRole, DelegatedRole, DelegatedRole];
  for (const name of Object.keys(rolesJson)) {
    if (name !== CLAIMED && name !== UNCLAIMED && !isPart(name) && !isClaimName(name)) {
      throw new FieldError(`roles.${name}`, "is not a role a ceremony publishes (claimed, claimed-<prefix>, unclaimed, or a claim's project role)");
    }
  }
  const roles = new Map<string, Metadata<Targets>>();
  const submitted = (name: string) => (rolesJson[name] === undefined ? undefined : parseRole(rolesJson[name], `roles.${name}`));
  /** The role as it will be after this ceremony: submitted (and checked) or published. */
  const effective = (name: typeof CLAIMED | typeof UNCLAIMED, delegation: DelegatedRole): Targets => {
    const role = submitted(name);
    if (!role) {
      const current = published.role(name);
      if (!current) throw new FieldError(`roles.${name}`, "is required: it is not published yet");
      return current;
    }
    checkRole(name, role, delegation, targets, published, now);
    roles.set(name, role);
    return role.signed;
  };

  const unclaimed = effective(UNCLAIMED, unclaimedRole);
  const bins = unclaimed.delegations?.succinctRoles;
  if (!bins || unclaimed.delegations?.roles) throw new FieldError(`roles.${UNCLAIMED}.signed.delegations.succinct_roles`, "is required: unclaimed delegates to the hashed bins, and only to them");
  if (bins.bitLength > 16) throw new FieldError(`roles.${UNCLAIMED}.signed.delegations.succinct_roles.bit_length`, "must be at most 16");
  if (unclaimed.targets.size) throw new FieldError(`roles.${UNCLAIMED}.signed.targets`, "must be empty: files are listed in the bins");

  const claimed = effective(CLAIMED, claimedRole);
  if (claimed.delegations?.succinctRoles || claimed.targets.size) throw new FieldError(`roles.${CLAIMED}.signed`, "must only delegate to its parts (claimed-<prefix>), by paths");
  const parts = claimed.delegations?.roles ?? [];
  const claims: DelegatedRole[] = [];
  const claimDelegations = new Map<string, RoleDelegation>();
  for (const part of parts) {
    const field = `roles.${CLAIMED}.signed.delegations.roles`;
    if (!isPart(part.name)) throw new FieldError(field, `${part.name}: claimed delegates only to parts named ${CLAIMED}-<prefix>`);
    if (part.terminating || !part.paths) throw new FieldError(field, `${part.name}: a part is delegated by paths, not terminating`);
    const role = submitted(part.name);
    if (!role) {
      if (published.version(part.name) === undefined) throw new FieldError(`roles.${part.name}`, "is required: claimed delegates to it and it is not published");
      continue;
    }
    checkRole(part.name, role, part, claimed, published, now);
    roles.set(part.name, role);
    const d = role.signed.delegations;
    if (role.signed.targets.size || d?.succinctRoles) throw new FieldError(`roles.${part.name}.signed`, "a part only delegates to claims");
    for (const claim of d?.roles ?? []) {
      if (!isClaimName(claim.name)) throw new FieldError(`roles.${part.name}.signed.delegations.roles`, `${claim.name} is not a claim's role name (project-<name>, namespace-<prefix>)`);
      if (!claim.terminating || !claim.paths) throw new FieldError(`roles.${part.name}.signed.delegations.roles`, `${claim.name}: a claim is terminating and delegated by paths`);
      // Claims come in through the claim API with their first role (recently-claimed): a ceremony
      // moves them, so no client ever meets a delegation to a role that is not published.
      if (published.version(claim.name) === undefined && rolesJson[claim.name] === undefined) throw new FieldError(`roles.${part.name}.signed.delegations.roles`, `${claim.name} has no published role: claim the project first (POST /v1/admin/claims), then move it into claimed`);
      claims.push(claim);
      claimDelegations.set(claim.name, { name: claim.name, keyids: claim.keyids, threshold: claim.threshold, keys: d!.keys, paths: claim.paths });
    }
  }
  const claimRoles = new Map<string, unknown>();
  for (const name of Object.keys(rolesJson)) {
    if (isPart(name) && !parts.some((p) => p.name === name)) throw new FieldError(`roles.${name}`, `is not one of claimed's parts`);
    if (isClaimName(name)) {
      if (!claims.some((c) => c.name === name)) throw new FieldError(`roles.${name}`, "is not delegated by a part this ceremony submits");
      claimRoles.set(name, rolesJson[name]);
    }
  }
  return { roles, bins, recentlyClaimed, claims, claimDelegations, claimRoles };
}
