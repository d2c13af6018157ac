import { Delegations, type DelegatedRole, Targets } from "../../shared/metadata/targets.js";
import { recentClaims } from "../storage/claims.js";
import type { MetadataStore } from "../storage/metadata-store.js";
import type { RepoState } from "../storage/repository.js";

/**
 * recently-claimed (PEP 480's online role): the claims made since the last ceremony. The writer
 * signs it with the online key. Its content changes three ways: a claim adds a delegation, a
 * ceremony that moves claims into claimed drops theirs, and the cron renews it.
 */

/** recently-claimed with these delegations (keys trimmed to the ones they name), as the writer signs it. */
export function recentlyClaimedRole(roles: readonly DelegatedRole[], keys: Delegations["keys"], expires: number) {
  const sorted = [...roles].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const used = Object.fromEntries(sorted.flatMap((r) => r.keyids.map((id) => [id, keys[id]!] as const)));
  return (version: number) => new Targets({ version, expires, delegations: new Delegations(used, sorted) });
}

/**
 * After a ceremony, recently-claimed re-signed by the writer's keys (they may be new: a rotation),
 * without the claims the new parts of claimed now hold; empty at the move.
 */
export async function afterCeremony(store: MetadataStore, state: RepoState, moved: ReadonlySet<string>, expires: number) {
  const current = await recentClaims(store, state);
  return recentlyClaimedRole((current?.roles ?? []).filter((r) => !moved.has(r.name)), current?.keys ?? {}, expires);
}
