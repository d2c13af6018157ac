import { sha256Hex } from "../../shared/encoding.js";
import { Key } from "../../shared/keys.js";
import { allBinNames } from "../../shared/bins.js";
import type { TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { DelegatedRole, type Delegations, type Targets } from "../../shared/metadata/targets.js";
import { RECENTLY_CLAIMED } from "../../shared/projects/layout.js";
import { type Verdict, verifyProjectRole } from "../../shared/projects/verify.js";
import { projectOf } from "../../shared/simple/index.js";
import { normalizeProject } from "../../shared/simple/names.js";
import { claimScopeOf, inScope } from "../../shared/projects/patterns.js";
import { checkClaim, checkPushedRole, claimedRole, findClaim, recentClaims } from "../storage/claims.js";
import { recordProjectPages } from "../storage/projects.js";
import { type RepoState, readBin } from "../storage/repository.js";
import type { ProjectChange } from "../storage/uploads.js";
import { BIN_CONCURRENCY, mapBounded } from "./bounded.js";
import { recentlyClaimedRole } from "./claims.js";
import { type Committed, commit } from "./commit.js";
import { type RoleFiles, type UploadContext, pagesOfRoles } from "./uploads.js";

/**
 * The writer's half of PEP 480 (issue 21): claims made by the operator and project roles pushed by
 * maintainers, checked again on the state they are committed on (the request path checked them on
 * an earlier one: two pushes of one version, or two claims of one name, may have raced), then
 * published in one commit: the project roles at their own versions, recently-claimed re-signed with
 * the new claims. The snapshot of that commit lists them (invariant 30).
 */

/** The role a change publishes: the claim's own, or the pushed one. */
export const roleName = (change: ProjectChange): string => (change.kind === "claim" ? (change.delegation as { name: string }).name : change.role);

export type ProjectResult = { ok: true } | { ok: false; reason: string };

/**
 * The files the changed claims' roles list, before and after `roles` (the new versions): each claim
 * whose pages the index signs, walked from its role down its delegations as clients would.
 */
async function roleFiles(ctx: UploadContext, state: RepoState, roles: ReadonlyMap<string, { bytes: Uint8Array }>, claims: readonly DelegatedRole[]): Promise<RoleFiles> {
  const before = new Map<string, TargetFile>();
  const after = new Map<string, TargetFile>();
  const fresh = new Set<string>();
  const changed = new Map([...roles].map(([name, r]) => [name, Metadata.parse(r.bytes, "targets").signed] as const));
  for (const claim of new Set([...roles.keys()].map((r) => r.split(".")[0]!))) {
    const delegation = claims.find((d) => d.name === claim) ?? (await findClaim(ctx.store, state, claim))?.delegation;
    if (!delegation || delegation.paths?.some((p) => p.startsWith("simple/"))) continue; // the project signs its pages
    const scope = claimScopeOf(claim);
    if (claims.includes(delegation) && !scope.namespace) fresh.add(normalizeProject(scope.project));
    for (const [into, use] of [[before, false], [after, true]] as const) {
      const read = async (name: string): Promise<{ files: [string, TargetFile][]; delegations?: Delegations } | null> => {
        const mine = use ? changed.get(name) : undefined;
        if (mine) return { files: [...mine.targets], delegations: mine.delegations };
        const version = state.snapshot.signed.meta.get(`${name}.json`)?.version;
        if (version === undefined) return null;
        const { head, targets } = await readBin(ctx.store, name, version);
        return { files: targets.pathsWithPrefix("").map((p) => [p, targets.file(p)!]), delegations: head.delegations };
      };
      const queue = [claim];
      for (let i = 0; i < queue.length && i < 1024; i++) {
        const role = await read(queue[i]!);
        if (!role) continue;
        for (const [path, file] of role.files) if (!into.has(path)) into.set(path, file);
        const d = role.delegations;
        if (d?.roles) queue.push(...d.roles.map((r) => r.name));
        if (d?.succinctRoles) queue.push(...allBinNames(d.succinctRoles.bitLength, d.succinctRoles.namePrefix));
      }
    }
  }
  return { before, after, fresh };
}

/**
 * One commit of project changes, each decided on the state it commits on and in order (a second
 * push of one version in a batch is refused as not higher). Returns each record's result.
 */
export async function publishProjectChanges(ctx: UploadContext, changes: readonly { id: string; change: ProjectChange }[]): Promise<{ results: Map<string, ProjectResult>; committed: Committed | null }> {
  const outcome = await commit(ctx, async (state) => {
    const results = new Map<string, ProjectResult>();
    const refuse = (id: string, reason: string) => results.set(id, { ok: false, reason });
    if (!state.recentlyClaimed) {
      for (const { id } of changes) refuse(id, "the repository is not in PEP 480's layout (targets → claimed, recently-claimed, unclaimed): move it at a targets ceremony first");
      return { plan: { bins: new Map() }, decision: { results, pages: [] } };
    }
    const now = ctx.clock();
    const roles = new Map<string, { version: number; bytes: Uint8Array }>();
    const claims: DelegatedRole[] = [];
    const claimKeys: Record<string, Key> = {};
    // Version files an interrupted commit may have left (invariant 2: never replaced), read all at once.
    const left = new Map(await mapBounded(changes, BIN_CONCURRENCY, async ({ change }) => {
      const version = (change.metadata as { signed?: { version?: unknown } } | null)?.signed?.version;
      const name = `${version}.${roleName(change)}.json`;
      return [name, Number.isSafeInteger(version) ? await ctx.store.read(name) : null] as const;
    }));
    for (const { id, change } of changes) {
      const versionOf = (r: string) => roles.get(r)?.version ?? state.snapshot.signed.meta.get(`${r}.json`)?.version;
      let verdict: Verdict;
      let claimed: { delegation: DelegatedRole; keys: Record<string, Key> } | undefined;
      if (change.kind === "claim") {
        // A claim and its project's first role, published together: no client meets a delegation to a role that is not there.
        const delegation = DelegatedRole.fromJSON(change.delegation, "delegation");
        const keys = Object.fromEntries(Object.entries(change.keys).map(([id, json]) => [id, Key.fromJSON(json)]));
        const why = await checkClaim(ctx, state, delegation, claims, change.replace === true);
        if (why) {
          refuse(id, why);
          continue;
        }
        verdict = verifyProjectRole(change.metadata, claimedRole(delegation, keys), { now, currentVersion: versionOf(delegation.name) });
        claimed = { delegation, keys };
      } else {
        verdict = await checkPushedRole(ctx, state, change.role, change.metadata, now, versionOf);
      }
      if (!verdict.ok) {
        refuse(id, verdict.refusals.map((r) => `${r.reason}: ${r.message}`).join("; "));
        continue;
      }
      const file = { version: verdict.role.signed.version, bytes: verdict.role.toBytes() };
      // A version file is never replaced (invariant 2): one left with other bytes by an interrupted
      // commit (a push that was never published) takes that version number.
      const stored = left.get(`${file.version}.${roleName(change)}.json`);
      if (stored && sha256Hex(stored.bytes) !== sha256Hex(file.bytes)) {
        refuse(id, `version: ${roleName(change)} version ${file.version} was written by an interrupted commit with other content; sign and push version ${file.version + 1}`);
        continue;
      }
      roles.set(roleName(change), file);
      if (claimed) {
        claims.push(claimed.delegation);
        Object.assign(claimKeys, claimed.keys);
      }
      results.set(id, { ok: true });
    }
    // Render mode: the pages of claimed projects list what their roles list (unless they sign their
    // pages). A page that refuses a file (the file-name rule) rejects the changes of its project alone.
    let pages: Awaited<ReturnType<typeof pagesOfRoles>> = null;
    for (let round = 0; ctx.pagesMode === "render" && roles.size; round++) {
      pages = await pagesOfRoles(ctx, state, await roleFiles(ctx, state, roles, claims));
      if (!pages || !("refused" in pages)) break;
      const refused = pages.refused as ReadonlyMap<string, string>;
      if (round > 0) throw new Error(`the pages cannot list the roles' files: ${[...refused].map(([p, why]) => `${p} ${why}`).join("; ")}`);
      const projects = new Set([...refused.keys()].flatMap((p) => projectOf(p) ?? []));
      for (const { id, change } of changes) {
        const name = roleName(change);
        const scope = claimScopeOf(name.split(".")[0]!);
        if (!roles.has(name) || ![...projects].some((p) => inScope(scope, p))) continue;
        const [path, why] = [...refused].find(([p]) => inScope(scope, projectOf(p) ?? ""))!;
        refuse(id, `the project's page cannot list ${path}: ${why}`);
        roles.delete(name);
        const i = claims.findIndex((c) => c.name === name);
        if (i >= 0) claims.splice(i, 1);
      }
      pages = null;
    }
    let online: Map<string, (v: number) => Targets> | undefined;
    if (claims.length) {
      const current = await recentClaims(ctx.store, state);
      const keys = { ...(current?.keys ?? {}), ...claimKeys };
      // A replaced claim (new keys) drops its old delegation; the old keys stop working at once.
      const kept = (current?.roles ?? []).filter((r) => !claims.some((c) => c.name === r.name));
      online = new Map([[RECENTLY_CLAIMED, recentlyClaimedRole([...kept, ...claims], keys, now + ctx.config.binsExpiry)]]);
    }
    const rendered = pages && !("refused" in pages) ? pages : null;
    const plan = { bins: rendered?.bins ?? new Map(), supersededContent: rendered?.supersededContent, roles, ...(online ? { online } : {}), reason: "projects" };
    return { plan, decision: { results, pages: rendered?.pages ?? [] } };
  });
  if (outcome.committed) await recordProjectPages(ctx.store, [outcome.decision.pages]);
  return { results: outcome.decision.results, committed: outcome.committed };
}
