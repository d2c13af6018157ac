import { readFile } from "node:fs/promises";
import { canonicalJson } from "../../shared/canonical.js";
import {
  type DelegatedRole, FieldError, type Key, Metadata, type Root, Targets, type TrustedMetadata, VerificationError, refresh, targetsMaxLength,
} from "../../shared/index.js";
import {
  CLAIMED, type Claim, ProjectRefusal, RECENTLY_CLAIMED, UNCLAIMED, claimDelegation, claimScopeOf, filePrefixes, isClaimName, isProjectLayout,
  migrateToProjectLayout, planClaimed,
} from "../../shared/projects/index.js";
import { type Ceremony, checkTrusted } from "./ceremony.js";
import { CliError, UsageError } from "./errors.js";
import { metadataFetcher } from "./verify.js";

/**
 * The two targets ceremonies of PEP 480's layout (shared/projects/):
 * - `layout`: the move from targets → bins to targets → claimed, recently-claimed, unclaimed → bins;
 * - `claims`: claimed N+1 and its parts, holding every claim published so far (those in claimed's
 *   parts and those made since, in recently-claimed), each carried over unchanged.
 * Both start from the repository as a client sees it: fetched and verified from a trusted root.
 */

/** The keys a delegation names, in its order; a key it names but does not list is an error. */
function keysOf(keyids: readonly string[], keys: Readonly<Record<string, Key>>, where: string): Key[] {
  return keyids.map((id) => {
    const key = keys[id];
    if (!key) throw new CliError(`${where} names key ${id} but does not list it`);
    return key;
  });
}

export interface LayoutOptions {
  /** Root as published: its targets keys sign targets M+1, and (by default) claimed and unclaimed. */
  trustedRoot: Metadata<Root>;
  /** targets M as published, delegating to the hashed bins. */
  currentTargets: Metadata<Targets>;
  /** Keys to sign claimed and unclaimed, instead of root's targets keys. */
  offline?: Key[];
  offlineThreshold?: number;
  expires: number;
}

/** The `layout` ceremony: targets M+1 in PEP 480's layout, with claimed v1 and unclaimed v1 (shared/projects/migrate.ts). */
export function layoutCeremony(o: LayoutOptions): Ceremony {
  checkTrusted(o.trustedRoot, o.currentTargets);
  const root = o.trustedRoot.signed;
  const current = o.currentTargets.signed;
  if (isProjectLayout(current)) throw new CliError(`targets v${current.version} is in PEP 480's layout already (it delegates to claimed, recently-claimed and unclaimed)`);
  const bins = current.delegations?.succinctRoles;
  if (!bins) throw new CliError(`targets v${current.version} does not delegate to hashed bins: there is nothing to move`);
  const online = keysOf(bins.keyids, current.delegations!.keys, `targets v${current.version}'s delegation to the bins`);
  const offline = o.offline ?? keysOf(root.roles.targets.keyids, root.keys, `root v${root.version}'s targets role`);
  const threshold = o.offlineThreshold ?? root.roles.targets.threshold;
  if (new Set(offline.map((k) => k.keyid)).size !== offline.length) throw new UsageError("the same --offline-key is given twice");
  if (threshold > offline.length) throw new UsageError(`--offline-threshold ${threshold} is more than the ${offline.length} keys that sign claimed and unclaimed`);
  const onlineIds = new Set([...bins.keyids, ...root.roles.timestamp.keyids, ...root.roles.snapshot.keyids]);
  const shared = offline.find((k) => onlineIds.has(k.keyid));
  if (shared) throw new UsageError(`key ${shared.keyid} is an online key: claimed and unclaimed must be signed by offline keys`);
  // recently-claimed's expiry is the Worker's: it signs recently-claimed itself, and it is not in the file.
  const move = migrateToProjectLayout(current, { offline, offlineThreshold: threshold, online }, { offline: o.expires, online: o.expires });
  const roles = new Map([CLAIMED, UNCLAIMED].map((name) => [name, new Metadata(move.roles.get(name)!)]));
  return { kind: "layout", trustedRoot: o.trustedRoot, targets: new Metadata(move.targets), roles };
}

/**
 * The claim a published delegation stands for (the inverse of shared/projects/layout.ts
 * claimDelegation): its name, keys and threshold, and the legacy spellings and pages read back from
 * its paths. Refused unless claimDelegation makes exactly the same delegation of it, so that a
 * claim moved into claimed keeps the same paths, keys and threshold.
 */
export function claimOf(d: DelegatedRole, keys: Readonly<Record<string, Key>>, where: string): Claim {
  if (!isClaimName(d.name)) throw new CliError(`${where} delegates to ${d.name}, which is not a claim (project-<name> or namespace-<prefix>)`);
  const { project, namespace } = claimScopeOf(d.name);
  const prefixes = [...new Set((d.paths ?? []).filter((p) => p.startsWith("packages/")).map((p) => p.slice(p.lastIndexOf("/") + 1).replace(/\*$/, "")))];
  let claim: Claim;
  try {
    const own = filePrefixes({ project, namespace })[0];
    const spellings = prefixes.filter((p) => p !== own && p.endsWith("-")).map((p) => p.slice(0, -1));
    claim = { project, namespace, spellings, pages: (d.paths ?? []).some((p) => p.startsWith("simple/")), keys: keysOf(d.keyids, keys, where), threshold: d.threshold };
    if (JSON.stringify(claimDelegation(claim).toJSON()) === JSON.stringify(d.toJSON())) return claim;
  } catch (e) {
    if (!(e instanceof ProjectRefusal)) throw e;
  }
  throw new CliError(`${where}'s delegation to ${d.name} is not one a claim makes (paths ${(d.paths ?? []).join(", ")}); it cannot be carried over unchanged`);
}

/** The published roles a `claims` ceremony starts from, verified. */
export interface PublishedClaims {
  trustedRoot: Metadata<Root>;
  targets: Metadata<Targets>;
  claimed: Targets;
  /** claimed's parts, by name, in the order claimed delegates to them. */
  parts: ReadonlyMap<string, Targets>;
  recentlyClaimed: Targets;
  /** The version the snapshot lists of a role; undefined when it lists none. */
  version(name: string): number | undefined;
}

export interface ClaimsCeremony {
  ceremony: Ceremony;
  /** Claims already in claimed's parts, and the ones that move in from recently-claimed. */
  kept: string[];
  moved: string[];
}

/**
 * The `claims` ceremony: claimed N+1 and its parts (shared/projects/claimed.ts planClaimed) over every
 * published claim, each changed part one version past the published one (1 when new); an unchanged
 * part is left as published unless it expires within half the new validity. Signed by the keys
 * targets delegates claimed to, which also sign the parts.
 */
export function claimsCeremony(p: PublishedClaims, expires: number, now = Date.now(), rekey: readonly Claim[] = []): ClaimsCeremony {
  const targets = p.targets.signed;
  const toClaimed = targets.delegations?.roles?.find((r) => r.name === CLAIMED);
  if (!isProjectLayout(targets) || !toClaimed) throw new CliError(`targets v${targets.version} is not in PEP 480's layout: move it first (tuf-edge ceremony layout)`);
  const claims = new Map<string, { claim: Claim; delegation: DelegatedRole; where: string }>();
  const collect = (holder: string, role: Targets) => {
    for (const d of role.delegations?.roles ?? []) {
      const seen = claims.get(d.name);
      if (seen && JSON.stringify(seen.delegation.toJSON()) !== JSON.stringify(d.toJSON())) {
        throw new CliError(`${d.name} is delegated differently by ${seen.where} and ${holder}: settle which one holds before a ceremony`);
      }
      if (!seen) claims.set(d.name, { claim: claimOf(d, role.delegations!.keys, holder), delegation: d, where: holder });
    }
  };
  for (const [name, part] of p.parts) collect(name, part);
  const kept = [...claims.keys()];
  collect(RECENTLY_CLAIMED, p.recentlyClaimed);
  const moved = [...claims.keys()].filter((name) => !kept.includes(name));
  // A rotation or revocation: the claim's new keys and threshold (same names and patterns).
  for (const claim of rekey) {
    const name = claimDelegation(claim).name;
    const seen = claims.get(name);
    if (!seen) throw new CliError(`--rekey: ${name} is not claimed`);
    if (JSON.stringify(claimDelegation(claim).paths) !== JSON.stringify(seen.delegation.paths)) throw new CliError(`--rekey: ${name}'s file patterns differ from the published ones; only keys and threshold change at a rekey`);
    claims.set(name, { claim, delegation: claimDelegation(claim), where: "--rekey" });
  }

  const offline = keysOf(toClaimed.keyids, targets.delegations!.keys, `targets v${targets.version}'s delegation to claimed`);
  const version = (p.version(CLAIMED) ?? 0) + 1;
  // No claim yet: claimed stays empty, rather than delegating to an empty part clients would download.
  const plan = claims.size
    ? planClaimed([...claims.values()].map((c) => c.claim), { offline, threshold: toClaimed.threshold }, version, expires)
    : { claimed: new Targets({ version, expires }), parts: new Map<string, Targets>() };
  const roles = new Map([[CLAIMED, new Metadata(plan.claimed)]]);
  for (const [name, part] of plan.parts) {
    // The same delegation as published, to the byte: what keeps a claim's keys and paths through the move.
    for (const d of part.delegations?.roles ?? []) {
      const before = claims.get(d.name)!.delegation;
      if (JSON.stringify(d.toJSON()) !== JSON.stringify(before.toJSON())) throw new Error(`${name}'s delegation to ${d.name} differs from the published one`);
    }
    // A part whose claims are the same, and that stays valid for at least half the new expiry, is left
    // as published: a ceremony at 100,000 claims resubmits the few parts it changes, not 188 of them.
    const published = p.parts.get(name);
    // Canonical JSON: the published part's keys come back in sorted order, the plan's in claim order.
    const same = published?.delegations && part.delegations && canonicalJson(published.delegations.toJSON()) === canonicalJson(part.delegations.toJSON());
    if (same && published.expires - now >= (expires - now) / 2) continue;
    roles.set(name, new Metadata(new Targets({ version: (p.version(name) ?? 0) + 1, expires: part.expires, delegations: part.delegations })));
  }
  return { ceremony: { kind: "claims", trustedRoot: p.trustedRoot, trustedTargets: p.targets, roles }, kept, moved };
}

/** A refresh failure, as one line. */
function refused(url: string, e: unknown): unknown {
  if (e instanceof VerificationError || e instanceof FieldError) return new CliError(`${url} does not verify from the trusted root: ${e.message}`);
  return e;
}

/**
 * The repository as a client sees it (spec §5, shared/client.ts): from the trusted root in
 * `rootFile` through the root chain, timestamp, snapshot and targets (and in PEP 480's layout
 * claimed, recently-claimed and unclaimed). `load` fetches and verifies one more delegated role.
 */
export async function readPublished(url: string, rootFile: string, now = Date.now()) {
  let rootBytes: Uint8Array;
  try {
    rootBytes = await readFile(rootFile);
  } catch (e) {
    throw new CliError(`cannot read ${rootFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    Metadata.parse(rootBytes, "root");
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${rootFile} is not root metadata: ${e.message}`);
    throw e;
  }
  const fetcher = metadataFetcher(url);
  let trusted: TrustedMetadata;
  try {
    trusted = await refresh(rootBytes, fetcher.get, now);
  } catch (e) {
    throw refused(url, e);
  }
  const load = async (role: string, delegator: string): Promise<Targets> => {
    const version = trusted.snapshot!.signed.meta.get(`${role}.json`)?.version;
    if (version === undefined) throw new CliError(`the snapshot does not list ${role}.json`);
    const bytes = await fetcher.get(`${version}.${role}.json`, targetsMaxLength(trusted, role));
    if (!bytes) throw new CliError(`${url}/metadata/${version}.${role}.json, listed in the snapshot, does not exist`);
    try {
      return trusted.updateTargets(role, bytes, delegator).signed;
    } catch (e) {
      throw refused(url, e);
    }
  };
  return { trusted, load };
}

/** What a `claims` ceremony starts from: targets, claimed and every part of it, recently-claimed. */
export async function readPublishedClaims(url: string, rootFile: string, now = Date.now()): Promise<PublishedClaims> {
  const { trusted, load } = await readPublished(url, rootFile, now);
  const targets = trusted.targets.get("targets")!;
  const claimed = trusted.targets.get(CLAIMED)?.signed;
  const recentlyClaimed = trusted.targets.get(RECENTLY_CLAIMED)?.signed;
  if (!claimed || !recentlyClaimed) throw new CliError(`targets v${targets.signed.version} is not in PEP 480's layout: move it first (tuf-edge ceremony layout)`);
  const parts = new Map<string, Targets>();
  for (const part of claimed.delegations?.roles ?? []) parts.set(part.name, await load(part.name, CLAIMED));
  const meta = trusted.snapshot!.signed.meta;
  return { trustedRoot: trusted.root, targets, claimed, parts, recentlyClaimed, version: (name) => meta.get(`${name}.json`)?.version };
}
