import { checkNotExpired } from "../client.js";
import { FieldError, VerificationError } from "../errors.js";
import type { Key } from "../keys.js";
import { Metadata } from "../metadata/metadata.js";
import type { SuccinctRoles, Targets } from "../metadata/targets.js";
import { formatExpires } from "../time.js";
import { isSafePattern, matchesAny, patternWithin } from "./patterns.js";
import { ProjectRefusal } from "./refusal.js";

/**
 * What the Worker checks before it publishes a project role a maintainer pushed (issue 21, part 3):
 * a threshold of the delegated keys, a strictly higher version, a sane expiry, every target within
 * the delegated patterns, and delegations that stay inside them. Pure: the caller finds the
 * delegation (in claimed or recently-claimed, or the parent project role) and the current version.
 */

/** How far ahead a project role may expire: a year and a month. Longer widens the freeze window. */
export const MAX_PROJECT_ROLE_VALIDITY_MS = 400 * 86_400_000;
/** Target paths named in a refusal: enough to act on, bounded. */
const MAX_NAMED = 10;

/** The delegation a pushed role must satisfy. */
export interface RoleDelegation {
  /** The role's name: `project-demo`, `project-demo.win`, `project-demo.bins-3`. */
  readonly name: string;
  readonly keyids: readonly string[];
  readonly threshold: number;
  readonly keys: Readonly<Record<string, Key>>;
  /** The delegated patterns; for one of a project's bins, the project role's patterns. */
  readonly paths: readonly string[];
  /** Set when the role is a bin of `bins`: a target must also hash into it. */
  readonly bins?: SuccinctRoles;
}

export interface VerifyOptions {
  readonly now: number;
  /** The version published now, if any: the pushed one must be higher. */
  readonly currentVersion?: number;
  readonly maxValidityMs?: number;
}

export type Verdict = { ok: true; role: Metadata<Targets> } | { ok: false; refusals: ProjectRefusal[] };

/** The claim a role belongs to: `project-demo` for `project-demo.win.x`. Sub-roles are named under it. */
const claimOf = (name: string) => name.split(".")[0]!;

/** The role that delegates to `name`: `project-demo` for `project-demo.win` or `project-demo.bins-3`; null for a claim itself (its delegator is a claimed part or recently-claimed). */
export const parentRoleOf = (name: string): string | null => (name.includes(".") ? name.slice(0, name.lastIndexOf(".")) : null);

/**
 * The delegation to `name` in `parent` (a claimed part, recently-claimed, or a project's role), as
 * verifyProjectRole takes it; `parentPaths` are the patterns `parent` itself was delegated (a bin of
 * the project's covers those). Null when `parent` does not delegate to `name`.
 */
export function delegationIn(parent: Targets, name: string, parentPaths: readonly string[]): RoleDelegation | null {
  const d = parent.delegations;
  if (!d) return null;
  const role = d.roles?.find((r) => r.name === name);
  // A role delegated by hash prefixes covers no pattern here: project roles are delegated by paths.
  if (role) return { name, keyids: role.keyids, threshold: role.threshold, keys: d.keys, paths: role.paths ?? [] };
  const bins = d.succinctRoles;
  if (bins?.isBin(name)) return { name, keyids: bins.keyids, threshold: bins.threshold, keys: d.keys, paths: parentPaths, bins };
  return null;
}

export function verifyProjectRole(json: unknown, delegation: RoleDelegation, options: VerifyOptions): Verdict {
  let role: Metadata<Targets>;
  try {
    role = Metadata.fromJSON(json, "targets");
  } catch (e) {
    if (e instanceof FieldError) return { ok: false, refusals: [new ProjectRefusal("malformed", e.message, e.field)] };
    throw e;
  }
  const refusals: ProjectRefusal[] = [];
  const refuse = (reason: ProjectRefusal["reason"], message: string, subject?: string) => refusals.push(new ProjectRefusal(reason, message, subject));
  const { name } = delegation;
  const signed = role.signed;

  try {
    role.verifyDelegate(name, delegation, delegation.keys);
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    refuse("threshold", e.message, "signatures");
  }
  if (options.currentVersion !== undefined && signed.version <= options.currentVersion) {
    refuse("version", `${name} version ${signed.version} is not higher than the published ${options.currentVersion}`, "signed.version");
  }
  try {
    checkNotExpired(name, signed.expires, options.now);
  } catch (e) {
    if (!(e instanceof VerificationError)) throw e;
    refuse("expired", e.message, "signed.expires");
  }
  const latest = options.now + (options.maxValidityMs ?? MAX_PROJECT_ROLE_VALIDITY_MS);
  if (signed.expires > latest) {
    refuse("expires-too-far", `${name} expires at ${formatExpires(signed.expires)}, after ${formatExpires(latest)}: renew yearly instead`, "signed.expires");
  }

  const outside = [...signed.targets.keys()].filter((path) => !covers(delegation, path));
  for (const path of outside.slice(0, MAX_NAMED)) refuse("target-outside-patterns", `${path} is not within ${name}'s patterns`, path);
  if (outside.length > MAX_NAMED) refuse("target-outside-patterns", `and ${outside.length - MAX_NAMED} more paths outside ${name}'s patterns`);

  checkDelegations(signed, delegation, refuse);
  return refusals.length ? { ok: false, refusals } : { ok: true, role };
}

function covers(delegation: RoleDelegation, path: string): boolean {
  if (!matchesAny(delegation.paths, path)) return false;
  return delegation.bins ? delegation.bins.binFor(path) === delegation.name : true;
}

/** A role's own delegations: named under its claim, and within its patterns (clients would only reach them there anyway). */
function checkDelegations(signed: Targets, delegation: RoleDelegation, refuse: (r: ProjectRefusal["reason"], m: string, s?: string) => void) {
  const d = signed.delegations;
  if (!d) return;
  const prefix = `${claimOf(delegation.name)}.`;
  if (d.succinctRoles && !d.succinctRoles.namePrefix.startsWith(prefix)) {
    refuse("role-name", `${delegation.name}'s bins must be named ${prefix}…, not ${d.succinctRoles.namePrefix}`, "signed.delegations.succinct_roles.name_prefix");
  }
  for (const child of d.roles ?? []) {
    if (!child.name.startsWith(prefix)) {
      refuse("role-name", `${delegation.name} delegates to ${child.name}: roles under it must be named ${prefix}…`, child.name);
      continue;
    }
    if (!child.paths) {
      refuse("delegation-outside-patterns", `${child.name} is delegated by path hash prefixes; delegate by file name patterns, or to bins`, child.name);
      continue;
    }
    const loose = child.paths.find((p) => !isSafePattern(p) || !delegation.paths.some((parent) => patternWithin(p, parent)));
    if (loose !== undefined) refuse("delegation-outside-patterns", `${child.name}'s pattern ${loose} is not within ${delegation.name}'s patterns`, loose);
  }
}
