import { type Context, Hono } from "hono";
import { FieldError } from "../../shared/errors.js";
import { readObject } from "../../shared/json.js";
import type { Key } from "../../shared/keys.js";
import { mapBounded } from "../../shared/bounded.js";
import { MAX_LENGTH } from "../../shared/client.js";
import { readKeys } from "../../shared/metadata/root.js";
import type { Targets } from "../../shared/metadata/targets.js";
import { type Claim, claimDelegation } from "../../shared/projects/layout.js";
import { type ClaimScope, checkClaimCoversOnlyItsOwn, claimPatterns, claimRoleName, inScope } from "../../shared/projects/patterns.js";
import { checkPushSignature, parsePushAuthorization } from "../../shared/projects/push-auth.js";
import { ProjectRefusal } from "../../shared/projects/refusal.js";
import { verifyProjectRole } from "../../shared/projects/verify.js";
import { normalizeProject, pageTargetPaths, parseJsonPage } from "../../shared/simple/index.js";
import { type AppEnv, readConfig } from "../env.js";
import { checkClaim, checkPushedRole, claimedRole, roleDelegation } from "../storage/claims.js";
import { ContentStore } from "../storage/content.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { PackageStore, claimRefusal } from "../storage/packages.js";
import { listProjectShards, readProjectShard } from "../storage/projects.js";
import { type RepoState, findTarget, loadState, readBin } from "../storage/repository.js";
import { UploadStore, newUploadId } from "../storage/uploads.js";
import { errorResponse, parseJsonBody, readBody } from "./errors.js";

/**
 * PEP 480 at the door (issue 21): the operator's claims (POST /v1/admin/claims, under the admin
 * token: admin.ts mounts it) and maintainers' pushes of their signed roles
 * (POST /v1/projects/{project}/role, signed by one of the project's keys, no token). Both are
 * checked here on the current state, then queued as upload records for the writer, which checks
 * them again on the state it commits on (publish/projects.ts).
 */
export const projectRoutes = new Hono<AppEnv>();

type Ctx = Context<AppEnv>;

const refusal = (c: Ctx, e: ProjectRefusal, status: 400 | 403 | 409 = 400) => errorResponse(c, status, e.message, { reason: e.reason, ...(e.subject === undefined ? {} : { field: e.subject }) });

async function layoutState(c: Ctx): Promise<RepoState | Response> {
  const state = await loadState(new MetadataStore(c.env.METADATA));
  if (!state) return errorResponse(c, 409, "no repository is published yet; bootstrap first");
  if (!state.recentlyClaimed) return errorResponse(c, 409, "the repository is not in PEP 480's layout: move it at a targets ceremony first (docs/project-roles.md)");
  return state;
}

/** A verdict's refusals: 400, the first one's reason, all of them listed. */
const refusals = (c: Ctx, list: readonly ProjectRefusal[], field: string) =>
  errorResponse(c, 400, list.map((r) => r.message).join("; "), { reason: list[0]!.reason, field, refusals: list });

/** Each file a role adds or changes must be what tuf-edge serves at that path (or, absent, on the file host): invariant 8, as for a webhook. */
async function bytesRefusal(c: Ctx, store: MetadataStore, state: RepoState, role: string, signed: Targets): Promise<Response | null> {
  const version = state.snapshot.signed.meta.get(`${role}.json`)?.version;
  const before = version === undefined ? null : (await readBin(store, role, version)).targets;
  const packages = new PackageStore(c.env.PACKAGES);
  const content = new ContentStore(c.env.METADATA);
  const mode = readConfig(c.env).pagesMode;
  const changed = [...signed.targets].filter(([path, file]) => {
    const old = before?.file(path);
    return !old || old.length !== file.length || old.hashes.sha256 !== file.hashes.sha256;
  });
  // Six at a time: each is a bucket HEAD at least (30 ms on the platform), so a release of many files stays quick.
  const reasons = await mapBounded(changed, 6, ([path, file]) => claimRefusal(mode, packages, content, { path, length: file.length, hashes: file.hashes as Record<string, string> }));
  const i = reasons.findIndex((why) => why !== null);
  return i < 0 ? null : errorResponse(c, 400, `${changed[i]![0]} ${reasons[i]}`, { reason: "bytes", field: changed[i]![0] });
}

/** Queues a project change as an upload record: GET /v1/uploads/{id} then says published or rejected, with the reason. */
async function queue(c: Ctx, project: NonNullable<Parameters<UploadStore["put"]>[0]["project"]>, bytes: number) {
  const id = newUploadId();
  await new UploadStore(c.env.METADATA).put({ id, state: "queued", received: new Date(c.get("now")).toISOString(), request: { targets: [], remove: [] }, project });
  await c.env.UPLOADS.send({ kind: "project", id, bytes });
  return id;
}

/** Projects whose published files the claim check reads, at most (one page read each). */
const MAX_NEIGHBOURS = 256;

/**
 * The files published under other projects whose legacy names the claim's patterns could cover:
 * only projects named `<name>-…` can have them (`demo-bar-1.0.tar.gz`), and their pages list them.
 * More neighbours than can be read here refuse the claim rather than pass it unchecked.
 */
async function publishedNear(c: Ctx, store: MetadataStore, scope: ClaimScope): Promise<string[]> {
  const own = normalizeProject(scope.project);
  const shards = (await listProjectShards(store)) ?? [];
  const names: string[] = [];
  for (const shard of shards.filter((s) => own.startsWith(s.key.slice("projects/".length, -".json".length)))) {
    names.push(...(await readProjectShard(store, shard)).filter((p) => p.startsWith(`${own}-`) && !inScope(scope, p)));
  }
  if (names.length > MAX_NEIGHBOURS) {
    throw new ProjectRefusal("covers-other-project", `${names.length} other projects are named ${own}-…; their files cannot all be checked here (at most ${MAX_NEIGHBOURS})`, "project");
  }
  const content = new ContentStore(c.env.METADATA);
  const paths: string[] = [];
  for (const project of names) {
    const page = pageTargetPaths(project).json;
    const found = await findTarget(store, page);
    const bytes = found && (await content.getAt(page, found.file.hashes.sha256!));
    if (bytes) paths.push(...parseJsonPage(bytes).files.map((f) => `packages/_/${f.filename}`));
  }
  return paths;
}

/**
 * The operator's claim: `{project, keys: {keyid: key}, threshold, role, namespace?, spellings?,
 * pages?, replace?}` (`replace`: new keys for a claim still in recently-claimed). recently-claimed
 * gains a terminating delegation to `project-<name>` at the writer's next commit, and `role` (the
 * project's first role, signed by a threshold of `keys`) is published in the same commit: no
 * client ever meets a delegation to a role that is not there.
 */
export async function claimProject(c: Ctx): Promise<Response> {
  const state = await layoutState(c);
  if (state instanceof Response) return state;
  const body = await readBody(c.req.raw, MAX_LENGTH.targets);
  if (!body) throw new FieldError("", `body is larger than ${MAX_LENGTH.targets} bytes`);
  const o = readObject(parseJsonBody(body), "");
  if (typeof o.project !== "string") throw new FieldError("project", "is required: the project's name");
  const keys = Object.values(readKeys(o.keys, "keys")) as Key[];
  if (keys.length === 0) throw new FieldError("keys", "must name at least one maintainer key");
  const threshold = o.threshold ?? 1;
  if (!Number.isInteger(threshold) || (threshold as number) < 1 || (threshold as number) > keys.length) throw new FieldError("threshold", `must be an integer from 1 to ${keys.length}`);
  for (const f of ["namespace", "pages", "replace"] as const) if (o[f] !== undefined && typeof o[f] !== "boolean") throw new FieldError(f, "must be true or false");
  const replace = o.replace === true;
  if (o.spellings !== undefined && !(Array.isArray(o.spellings) && o.spellings.every((s) => typeof s === "string"))) throw new FieldError("spellings", "must be a list of names");
  const claim: Claim = { project: o.project, keys, threshold: threshold as number, namespace: o.namespace === true, pages: o.pages === true, spellings: (o.spellings as string[] | undefined) ?? [] };

  // Key separation: the online key cannot sign for a claimed project.
  const online = new Set([...state.bins.keyids, ...state.recentlyClaimed!.keyids]);
  const shared = keys.find((k) => online.has(k.keyid));
  if (shared) throw new FieldError("keys", `must not list an online key (${shared.keyid}): the online key cannot sign for a claimed project`);
  const store = new MetadataStore(c.env.METADATA);
  try {
    claimPatterns(claim); // the name and spellings
    checkClaimCoversOnlyItsOwn(claim, await publishedNear(c, store, claim));
  } catch (e) {
    if (e instanceof ProjectRefusal) return refusal(c, e);
    throw e;
  }
  const delegation = claimDelegation(claim);
  const why = await checkClaim({ store }, state, delegation, [], replace);
  if (why) return errorResponse(c, 409, why, { reason: why.includes("overlaps") ? "overlaps-claim" : "claimed", field: "project" });
  // The project's first role, signed by the claim's keys: published with the claim.
  if (o.role === undefined) throw new FieldError("role", "is required: the project's first role, signed by a threshold of the claim's keys (tuf-edge project init, sign)");
  const keyMap = Object.fromEntries(keys.map((k) => [k.keyid, k]));
  const verdict = verifyProjectRole(o.role, claimedRole(delegation, keyMap), { now: c.get("now"), currentVersion: state.snapshot.signed.meta.get(`${delegation.name}.json`)?.version });
  if (!verdict.ok) return refusals(c, verdict.refusals, "role");
  const missing = await bytesRefusal(c, store, state, delegation.name, verdict.role.signed);
  if (missing) return missing;
  const id = await queue(c, { kind: "claim", delegation: delegation.toJSON(), keys: Object.fromEntries(keys.map((k) => [k.keyid, k.toJSON()])), metadata: o.role as never, ...(replace ? { replace } : {}) }, body.length);
  return c.json({ id, role: claimRoleName(claim), paths: delegation.paths }, 202);
}

/**
 * A maintainer's push: `{role, metadata}`, authenticated by one of the role's delegated keys
 * (shared/projects/push-auth.ts). Checked now (the delegation, threshold, a higher version, expiry,
 * patterns, and the bytes of each new file where tuf-edge serves them), published at the writer's
 * next commit.
 */
projectRoutes.post("/v1/projects/:project/role", async (c) => {
  const state = await layoutState(c);
  if (state instanceof Response) return state;
  const project = c.req.param("project");
  const store = new MetadataStore(c.env.METADATA);
  const header = c.req.header("authorization") ?? null;
  try {
    const body = await readBody(c.req.raw, MAX_LENGTH.targets);
    if (!body) return errorResponse(c, 413, `body is larger than ${MAX_LENGTH.targets} bytes (a client's bound for a targets role)`);
    const o = readObject(parseJsonBody(body), "");
    if (typeof o.role !== "string") throw new FieldError("role", "is required: the role's name (project-<name>, or a role under it)");
    const claim = o.role.split(".")[0]!;
    if (claim !== claimRoleName({ project }) && claim !== claimRoleName({ project, namespace: true })) {
      throw new FieldError("role", `${o.role} is not ${normalizeProject(project)}'s (project-${normalizeProject(project)} or a role under it)`);
    }
    const delegation = await roleDelegation(store, state, o.role);
    if (!delegation) return errorResponse(c, 404, `${o.role} is not delegated: the project is not claimed, or its role does not delegate to it yet`, { reason: "role-name", field: "role" });
    const keys = Object.fromEntries(delegation.keyids.filter((id) => delegation.keys[id]).map((id) => [id, delegation.keys[id]!]));
    const auth = parsePushAuthorization(header, keys, c.get("now"));
    checkPushSignature(auth, project, body);
    const verdict = await checkPushedRole({ store }, state, o.role, o.metadata, c.get("now"));
    if (!verdict.ok) return refusals(c, verdict.refusals, "metadata");
    const missing = await bytesRefusal(c, store, state, o.role, verdict.role.signed);
    if (missing) return missing;
    const id = await queue(c, { kind: "role", role: o.role, metadata: o.metadata as never }, body.length);
    return c.json({ id, role: o.role, version: verdict.role.signed.version }, 202);
  } catch (e) {
    if (e instanceof ProjectRefusal) return refusal(c, e, e.reason === "threshold" || e.reason === "expired" ? 403 : 400);
    throw e;
  }
});
