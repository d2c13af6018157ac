import { sha256Hex } from "./encoding.js";
import type { TargetFile } from "./metadata/files.js";
import type { Delegations } from "./metadata/targets.js";

/**
 * Where a target is found, by the spec's rules (§5.6.7), written once for the client
 * (shared/client.ts) and the Worker (worker/storage/repository.ts).
 */

/** Clients visit at most 32 roles per look-up (python-tuf, tuf-js `maxDelegations`). */
export const MAX_DELEGATIONS = 32;

/** A role that `path` is delegated to, and whether it ends the search (python-tuf's pair). */
export interface DelegatedTo {
  readonly name: string;
  readonly terminating: boolean;
}

/**
 * The roles `delegations` gives `path` to, in the order they are searched (python-tuf's
 * `Delegations.get_roles_for_target`): with succinct hashed bins, the one bin `binFor(path)`.
 */
export function rolesForTarget(delegations: Delegations, path: string): DelegatedTo[] {
  if (delegations.succinctRoles) return [{ name: delegations.succinctRoles.binFor(path), terminating: true }];
  let hash: string | undefined;
  const pathHash = () => (hash ??= sha256Hex(path));
  return (delegations.roles ?? []).filter((r) => r.isDelegatedPath(path, pathHash)).map((r) => ({ name: r.name, terminating: r.terminating }));
}

/** What the search reads of a targets role: a `Targets`, or anything that answers the same. */
export interface SearchedRole {
  readonly targets: { get(path: string): TargetFile | undefined };
  readonly delegations?: Delegations;
}

/**
 * The role that lists `path` and its entry, searched pre-order depth-first from `targets`, a
 * terminating delegation ending the search, at most MAX_DELEGATIONS roles (python-tuf's
 * `_preorder_depth_first_walk`). `load(role, delegator)` gives a role to search; null skips it.
 */
export async function searchTarget(
  path: string,
  load: (role: string, delegator: string) => Promise<SearchedRole | null>,
): Promise<{ readonly role: string; readonly file: TargetFile } | null> {
  const toVisit: [role: string, delegator: string][] = [["targets", "root"]];
  const visited = new Set<string>();
  while (toVisit.length > 0 && visited.size < MAX_DELEGATIONS) {
    const [role, delegator] = toVisit.pop()!;
    if (visited.has(role)) continue;
    visited.add(role);
    const targets = await load(role, delegator);
    if (!targets) continue;
    const file = targets.targets.get(path);
    if (file) return { role, file };
    const children: [string, string][] = [];
    for (const child of targets.delegations ? rolesForTarget(targets.delegations, path) : []) {
      children.push([child.name, role]);
      if (child.terminating) {
        toVisit.length = 0;
        break;
      }
    }
    toVisit.push(...children.reverse());
  }
  return null;
}
