import { Delegations, DelegatedRole, SuccinctRoles, Targets } from "../metadata/targets.js";
import type { Key } from "../keys.js";
import { normalizeProject } from "../simple/names.js";
import { type ClaimScope, FILE_SHAPES, claimPatterns, claimRoleName } from "./patterns.js";

/**
 * PEP 480's layout, adapted to succinct bins. A delegations object holds `roles` or
 * `succinct_roles`, never both, so top-level targets delegates, in this order, to:
 * - `claimed` (offline): project roles claimed at a ceremony, through bounded sub-roles (claimed.ts);
 * - `recently-claimed` (online): claims since the last ceremony, so a claim works at once;
 * - `unclaimed` (offline): today's succinct bins, same names, same online key.
 * Project delegations are terminating: a client that reaches a claimed project's pattern never
 * goes on to recently-claimed or a bin, so the online key cannot sign that project's files.
 */
export const CLAIMED = "claimed";
export const RECENTLY_CLAIMED = "recently-claimed";
export const UNCLAIMED = "unclaimed";

/** The three roles of the layout, in the order clients search them. */
export const LAYOUT = [CLAIMED, RECENTLY_CLAIMED, UNCLAIMED] as const;

/** Whether targets delegates in PEP 480's layout (rather than to bins directly). */
export const isProjectLayout = (targets: Targets): boolean =>
  (targets.delegations?.roles ?? []).map((r) => r.name).join() === LAYOUT.join();

/** Every path: each SHA-256 starts with one of the 16 hex digits (all clients match prefixes alike). */
const EVERY_PATH = [..."0123456789abcdef"];

/** Where claims can be: each file shape's last segment, and the pages. */
export const claimsArea = (shapes: readonly string[] = FILE_SHAPES): string[] => [...shapes.map((d) => `${d}/*`), "simple/*/*"];

const keyMap = (keys: readonly Key[]): Record<string, Key> => Object.fromEntries(keys.map((k) => [k.keyid, k]));
const ids = (keys: readonly Key[]) => keys.map((k) => k.keyid);

export interface LayoutKeys {
  /** Sign claimed and unclaimed at ceremonies (the targets keys, or keys of their own). */
  readonly offline: readonly Key[];
  readonly offlineThreshold: number;
  /** The Worker's online key: recently-claimed and the bins. */
  readonly online: readonly Key[];
}

/** Top-level targets' delegations in the PEP 480 layout. */
export function layoutDelegations(keys: LayoutKeys, shapes: readonly string[] = FILE_SHAPES): Delegations {
  const area = claimsArea(shapes);
  const offline = ids(keys.offline);
  return new Delegations(keyMap([...keys.offline, ...keys.online]), [
    new DelegatedRole(CLAIMED, offline, keys.offlineThreshold, false, area),
    new DelegatedRole(RECENTLY_CLAIMED, ids(keys.online), 1, false, area),
    new DelegatedRole(UNCLAIMED, offline, keys.offlineThreshold, false, undefined, EVERY_PATH),
  ]);
}

/** `unclaimed`: nothing of its own, every path to the bins (what targets held before the move). */
export function unclaimedRole(online: readonly Key[], bitLength: number, version: number, expires: number): Targets {
  const bins = new SuccinctRoles(ids(online), 1, bitLength, "bins");
  return new Targets({ version, expires, delegations: new Delegations(keyMap(online), undefined, bins) });
}

/** A claim as the index records it: what it covers and whose keys sign it. */
export interface Claim extends ClaimScope {
  readonly keys: readonly Key[];
  readonly threshold: number;
}

/** The terminating delegation to a project's (or namespace's) role. */
export const claimDelegation = (claim: Claim, shapes: readonly string[] = FILE_SHAPES): DelegatedRole =>
  new DelegatedRole(claimRoleName(claim), ids(claim.keys), claim.threshold, true, claimPatterns(claim, shapes));

/** A role that delegates to claims, in name order (recently-claimed, or one part of claimed). */
export function claimsRole(claims: readonly Claim[], version: number, expires: number, shapes: readonly string[] = FILE_SHAPES): Targets {
  const sorted = [...claims].sort((a, b) => claimRoleName(a).localeCompare(claimRoleName(b)));
  const delegations = new Delegations(keyMap(sorted.flatMap((c) => c.keys)), sorted.map((c) => claimDelegation(c, shapes)));
  return new Targets({ version, expires, delegations });
}

/** Names under a project's role start with `<role>.`: no project can name another's role, or a bin. */
export const subRoleName = (project: string, suffix: string, namespace = false): string =>
  `${claimRoleName({ project: normalizeProject(project), namespace })}.${suffix}`;

/**
 * A large project's own hashed bins (nightly builds: tens of thousands of files), under its role:
 * `project-demo.bins-00` … signed by the project's keys or, if it chooses, the online key.
 */
export const projectBins = (project: string, keys: readonly Key[], threshold: number, bitLength: number, namespace = false): Delegations =>
  new Delegations(keyMap(keys), undefined, new SuccinctRoles(ids(keys), threshold, bitLength, subRoleName(project, "bins", namespace)));
