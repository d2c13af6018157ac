import { FieldError, VerificationError } from "../../shared/errors.js";
import type { Key } from "../../shared/keys.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import type { DelegatedRole, Delegations, Targets } from "../../shared/metadata/targets.js";
import { type CheckedLayout, type PublishedRoles, isClaimName } from "../../shared/projects/ceremony.js";
import { type RoleDelegation, delegationIn, verifyProjectRole } from "../../shared/projects/verify.js";
import { fold, prefixesOfPart } from "../../shared/projects/claimed.js";
import { CLAIMED, RECENTLY_CLAIMED, UNCLAIMED } from "../../shared/projects/layout.js";
import { type ClaimScope, claimScopeOf, filePrefixes, matchesAny, patternsOverlap } from "../../shared/projects/patterns.js";
import { ProjectRefusal } from "../../shared/projects/refusal.js";
import type { MetadataStore } from "./metadata-store.js";
import { type RepoState, readBin } from "./repository.js";

/**
 * PEP 480's roles as published (shared/projects/): what a ceremony builds on, and the claims the
 * request path and the writer look projects up in. Every role is read through the cache of parsed
 * versioned files (repository.ts), so a look-up costs R2 reads only for versions not seen yet.
 */

const versionOf = (state: RepoState, role: string) => state.snapshot.signed.meta.get(`${role}.json`)?.version;

/** A delegated role as published now, head only (its delegations); null when the snapshot does not list it. */
export async function publishedRole(store: MetadataStore, state: RepoState, role: string): Promise<Targets | null> {
  const version = versionOf(state, role);
  return version === undefined ? null : (await readBin(store, role, version)).head;
}

/** What verifyLayout (shared/projects/ceremony.ts) needs of the published roles. */
export async function publishedRoles(store: MetadataStore, state: RepoState): Promise<PublishedRoles> {
  const [claimed, unclaimed] = await Promise.all([publishedRole(store, state, CLAIMED), publishedRole(store, state, UNCLAIMED)]);
  return {
    version: (name) => versionOf(state, name),
    role: (name) => (name === CLAIMED ? claimed : unclaimed) ?? undefined,
  };
}

/** recently-claimed's delegations now: null before the layout's first commit. */
export async function recentClaims(store: MetadataStore, state: RepoState): Promise<Delegations | null> {
  return (await publishedRole(store, state, RECENTLY_CLAIMED))?.delegations ?? null;
}

/** A claim's delegation as published, with the keys it names and the role that holds it. */
export interface PublishedClaim {
  readonly delegation: DelegatedRole;
  readonly keys: Readonly<Record<string, Key>>;
  /** recently-claimed, or the part of claimed that delegates to it. */
  readonly in: string;
}

const partPrefixes = (part: DelegatedRole): string[] => prefixesOfPart(part.paths ?? []);

/**
 * The parts of claimed whose names could meet these folded file-name prefixes: a part's prefix
 * and a claim's are then one a prefix of the other. What a look-up or an overlap check reads.
 */
async function partsNear(store: MetadataStore, state: RepoState, prefixes: readonly string[]): Promise<[string, Targets][]> {
  const claimed = await publishedRole(store, state, CLAIMED);
  const near = (claimed?.delegations?.roles ?? []).filter((part) =>
    partPrefixes(part).some((p) => prefixes.some((c) => c.startsWith(p) || p.startsWith(c))),
  );
  const loaded = await Promise.all(near.map(async (part) => [part.name, await publishedRole(store, state, part.name)] as const));
  return loaded.filter((e): e is [string, Targets] => e[1] !== null);
}

/** Every published claim that could share file names with a claim of these prefixes (its own included), claimed's first, as clients search. */
export async function claimsNear(store: MetadataStore, state: RepoState, scope: ClaimScope): Promise<PublishedClaim[]> {
  const prefixes = filePrefixes(scope).map(fold);
  const out: PublishedClaim[] = [];
  for (const [name, part] of await partsNear(store, state, prefixes)) {
    for (const delegation of part.delegations?.roles ?? []) out.push({ delegation, keys: part.delegations!.keys, in: name });
  }
  const recent = await recentClaims(store, state);
  for (const delegation of recent?.roles ?? []) out.push({ delegation, keys: recent!.keys, in: RECENTLY_CLAIMED });
  return out;
}

/** The published delegation to claim `name` (claimed's first, as clients search); null when it is not claimed. */
export async function findClaim(store: MetadataStore, state: RepoState, name: string): Promise<PublishedClaim | null> {
  if (!state.recentlyClaimed) return null;
  return (await claimsNear(store, state, claimScopeOf(name))).find((c) => c.delegation.name === name) ?? null;
}

/** Each part's folded prefixes, computed once per published claimed (its parsed head is cached by version). */
const prefixesOfParts = new WeakMap<Targets, { part: DelegatedRole; prefixes: string[] }[]>();

/**
 * The claim whose patterns cover `path`, as a client would reach it (claimed, then
 * recently-claimed); null when none does. An upload of a claimed project's file by the online key
 * would never be found by clients: the writer refuses it. A dist path is matched against the parts
 * whose folded prefix starts its file name (a string compare, not every part's globs: the writer
 * asks this of each path of every batch); the globs then decide, as clients match them.
 */
export async function claimCovering(store: MetadataStore, state: RepoState, path: string): Promise<string | null> {
  if (!state.recentlyClaimed) return null;
  const claimed = await publishedRole(store, state, CLAIMED);
  let parts = claimed ? prefixesOfParts.get(claimed) : [];
  if (claimed && !parts) {
    parts = (claimed.delegations?.roles ?? []).map((part) => ({ part, prefixes: partPrefixes(part) }));
    prefixesOfParts.set(claimed, parts);
  }
  const name = fold(path.slice(path.lastIndexOf("/") + 1));
  const page = path.startsWith("simple/");
  for (const { part, prefixes } of parts!) {
    if (!page && !prefixes.some((p) => name.startsWith(p))) continue;
    if (!matchesAny(part.paths ?? [], path)) continue;
    const role = await publishedRole(store, state, part.name);
    const hit = role?.delegations?.roles?.find((d) => matchesAny(d.paths ?? [], path));
    if (hit) return hit.name;
  }
  const recent = await recentClaims(store, state);
  return recent?.roles?.find((d) => matchesAny(d.paths ?? [], path))?.name ?? null;
}

/** A claim's delegation as verifyProjectRole takes it. */
export const claimedRole = (d: DelegatedRole, keys: Readonly<Record<string, Key>>): RoleDelegation =>
  ({ name: d.name, keyids: d.keyids, threshold: d.threshold, keys, paths: d.paths ?? [] });

/**
 * The delegation a pushed role must satisfy (shared/projects/verify.ts): for a claim, its delegation
 * in claimed or recently-claimed; for a role under it (`project-demo.win`, `project-demo.bins-3`),
 * the published parent's delegation to it, walked down from the claim. Null when nothing delegates
 * to `role`.
 */
export async function roleDelegation(store: MetadataStore, state: RepoState, role: string): Promise<RoleDelegation | null> {
  const names = role.split(".");
  if (!isClaimName(names[0]!)) return null;
  const claim = await findClaim(store, state, names[0]!);
  if (!claim) return null;
  let delegation: RoleDelegation | null = claimedRole(claim.delegation, claim.keys);
  for (let i = 1; i < names.length && delegation; i++) {
    const parent = await publishedRole(store, state, delegation.name);
    delegation = parent && delegationIn(parent, names.slice(0, i + 1).join("."), delegation.paths);
  }
  return delegation;
}

/** A pushed role checked on `state`: the delegation that reaches it, threshold, a higher version, expiry, patterns. */
export async function checkPushedRole(ctx: { store: MetadataStore }, state: RepoState, role: string, metadata: unknown, now: number, published = (r: string) => state.snapshot.signed.meta.get(`${r}.json`)?.version) {
  const delegation = await roleDelegation(ctx.store, state, role);
  if (!delegation) return { ok: false as const, refusals: [new ProjectRefusal("role-name", `${role} is not delegated: claim the project first, or delegate to it from its role`, "role")] };
  return verifyProjectRole(metadata, delegation, { now, currentVersion: published(role) });
}

/**
 * A claim checked on `state`: not claimed yet, and overlapping no other claim. With `replace`, a
 * claim made since the last ceremony (in recently-claimed) gets new keys instead: a rotation or a
 * revocation, effective at the next commit; one in claimed changes only at a ceremony.
 */
export async function checkClaim(ctx: { store: MetadataStore }, state: RepoState, delegation: DelegatedRole, also: readonly DelegatedRole[] = [], replace = false): Promise<string | null> {
  const published = await claimsNear(ctx.store, state, claimScopeOf(delegation.name));
  const own = published.filter((c) => c.delegation.name === delegation.name);
  if (replace) {
    if (own.length === 0) return `${delegation.name} is not claimed: there is nothing to replace`;
    if (own.some((c) => c.in !== RECENTLY_CLAIMED)) return `${delegation.name} is held in claimed: its keys change at a claims ceremony (tuf-edge ceremony claims --rekey)`;
  } else if (own.length || also.some((d) => d.name === delegation.name)) {
    return `${delegation.name} is claimed already (to change its keys: replace, or a claims ceremony)`;
  }
  const near = [...published.map((c) => c.delegation).filter((d) => d.name !== delegation.name), ...also];
  const hit = near.find((d) => (d.paths ?? []).some((p) => (delegation.paths ?? []).some((q) => patternsOverlap(p, q))));
  return hit ? `the claim overlaps ${hit.name}'s patterns` : null;
}

/**
 * A claims ceremony's claims whose keys or threshold change (a rotation, or a revocation): each
 * one's project role must verify under its new delegation, either as published or as the next
 * version submitted with the ceremony (signed by the new keys, listing no file the published one
 * does not: new files come through a push). Returns the submitted roles to publish; a FieldError
 * names the role otherwise. Unchanged claims cost nothing here.
 */
export async function checkCeremonyClaims(store: MetadataStore, state: RepoState, layout: CheckedLayout, now: number): Promise<Map<string, Metadata<Targets>>> {
  const out = new Map<string, Metadata<Targets>>();
  for (const [name, delegation] of layout.claimDelegations) {
    const submitted = layout.claimRoles.get(name);
    const before = await findClaim(store, state, name);
    const same = before && before.delegation.threshold === delegation.threshold && [...before.delegation.keyids].sort().join() === [...delegation.keyids].sort().join();
    if (same && submitted === undefined) continue;
    const version = state.snapshot.signed.meta.get(`${name}.json`)?.version;
    if (submitted !== undefined) {
      const verdict = verifyProjectRole(submitted, delegation, { now, currentVersion: version });
      if (!verdict.ok) throw new FieldError(`roles.${name}`, verdict.refusals.map((r) => r.message).join("; "));
      const listed = version === undefined ? null : (await readBin(store, name, version)).targets;
      const added = [...verdict.role.signed.targets].find(([path, f]) => listed?.file(path)?.hashes.sha256 !== f.hashes.sha256);
      if (added) throw new FieldError(`roles.${name}`, `lists ${added[0]}, which its published role does not: new files come through a push`);
      out.set(name, verdict.role);
      continue;
    }
    const file = version === undefined ? null : await store.read(`${version}.${name}.json`);
    try {
      if (!file) throw new VerificationError("missing", `${name} has no published role`);
      Metadata.parse(file.bytes, "targets").verifyDelegate(name, delegation, delegation.keys);
    } catch (e) {
      if (!(e instanceof VerificationError)) throw e;
      throw new FieldError(`roles.${name}`, `the claim's keys change, and its published role does not verify under the new ones (${e.message}): submit its next version, signed by them, with the ceremony`);
    }
  }
  return out;
}
