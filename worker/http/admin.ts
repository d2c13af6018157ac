import { type Context, Hono } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { MAX_BINS_PER_COMMIT } from "../../shared/bins.js";
import { FieldError, VerificationError } from "../../shared/errors.js";
import { readObject } from "../../shared/json.js";
import { onlineKeyids, verifyBootstrap, verifyNextRoot, verifyTargets } from "../../shared/offline.js";
import { checkTargetPath, parseUploadRequest, pathsOf } from "../../shared/upload.js";
import { projectOf } from "../../shared/simple/index.js";
import { type AppEnv, isDevelopment, readConfig } from "../env.js";
import { BINS_PER_STEP, type Job, JobStore, SHARDED_BINS_PER_STEP, binSteps } from "../storage/jobs.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { PackageStore } from "../storage/packages.js";
import { checkCeremonyClaims, publishedRoles } from "../storage/claims.js";
import { loadState, readRoot, trustedRootVersion } from "../storage/repository.js";
import { UploadStore, newUploadId, r2UploadId } from "../storage/uploads.js";
import { errorResponse, parseJsonBody, readBody } from "./errors.js";
import { claimProject } from "./projects.js";

type AdminContext = Context<AppEnv>;

/**
 * Admin operations (bearer ADMIN_TOKEN). Offline-signed metadata is verified here, whatever the
 * token (invariant 7), with every check that needs no key; the work itself, every signature, and
 * the check that the Worker's online keys can sign what is submitted (they are not loaded here:
 * invariant 10) happen in the queue consumer, which ends a job it cannot sign with the reason.
 */
export const adminRoutes = new Hono<AppEnv>();

const UNAUTHORIZED = { error: "missing or wrong bearer token (ADMIN_TOKEN)" };
const unauthorized = { message: (c: AdminContext) => c.json(UNAUTHORIZED, 401) };

// ADMIN_TOKEN_NEXT: a second token during a rotation; either is accepted.
adminRoutes.use("/v1/admin/*", (c, next) =>
  bearerAuth<AppEnv>({
    token: [c.env.ADMIN_TOKEN, c.env.ADMIN_TOKEN_NEXT].filter((t): t is string => !!t),
    noAuthenticationHeader: unauthorized,
    invalidAuthenticationHeader: unauthorized,
    invalidToken: unauthorized,
  })(c, next),
);

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  const body = await readBody(req, 8 * 1024 * 1024);
  if (!body) throw new FieldError("", "body is larger than 8 MiB");
  return readObject(parseJsonBody(body), "");
}

/** Bins a job's step works through: more with the writer's shards (storage/jobs.ts). */
const stepBins = (c: AdminContext) => (c.env.BIN_SHARDS && readConfig(c.env).writerShards > 0 ? SHARDED_BINS_PER_STEP : BINS_PER_STEP);

/** Starts a job and queues its first step; else the answer: 409 while another is under way, 503 if not queued. */
async function startJob(c: AdminContext, job: Omit<Job, "id" | "started" | "done">): Promise<Job | Response> {
  const started = new Date(c.get("now")).toISOString();
  const full: Job = { ...job, id: newUploadId(), started, updated: started, done: 0 };
  const jobs = new JobStore(c.env.METADATA, () => c.get("now"));
  if (!(await jobs.start(full))) {
    return errorResponse(c, 409, "another admin job is under way; see GET /v1/status (POST /v1/admin/abort ends it)");
  }
  try {
    await c.env.UPLOADS.send({ kind: "job", job: full.id, step: 0 });
  } catch (e) {
    // Not queued, so not started: end it now rather than leave a job nothing will move.
    await jobs.end(`its first step could not be queued: ${(e as Error).message}`, started, full.id);
    return errorResponse(c, 503, "the job could not be queued; nothing was started, send it again");
  }
  return full;
}

/**
 * Ends the admin job that is under way, as failed ("aborted"), so that another may start. Optional
 * body `{"job": "<id>"}`: only that job. What its finished steps did stays (each is a whole commit
 * or an unreferenced file); a queued step of it then does nothing.
 */
adminRoutes.post("/v1/admin/abort", async (c) => {
  const body = await readBody(c.req.raw, 4096);
  if (!body) throw new FieldError("", "body is larger than 4096 bytes");
  const id = body.length > 0 ? readObject(parseJsonBody(body), "").job : undefined;
  if (id !== undefined && typeof id !== "string") throw new FieldError("job", "must be a job id (a string)");
  const at = new Date(c.get("now")).toISOString();
  const ended = await new JobStore(c.env.METADATA, () => c.get("now")).end(`aborted by an operator at ${at}`, at, id);
  if (!ended) return errorResponse(c, 409, id === undefined ? "no admin job is under way" : "that job is not the one under way", id === undefined ? {} : { field: "job" });
  console.log(JSON.stringify({ event: "job-aborted", job: ended.id, kind: ended.kind, done: ended.done, steps: ended.steps }));
  return c.json({ job: ended.id, kind: ended.kind, done: ended.done, steps: ended.steps, aborted: true });
});

adminRoutes.post("/v1/admin/bootstrap", async (c) => {
  const body = await jsonBody(c.req.raw);
  const checked = verifyBootstrap(body.root, body.targets, c.get("now"));
  if (await new MetadataStore(c.env.METADATA).exists("timestamp.json")) return errorResponse(c, 409, "a repository is published already");
  const perStep = stepBins(c);
  const job = await startJob(c, {
    kind: "bootstrap",
    steps: binSteps(checked.bins.bitLength, perStep) + 1,
    binsPerStep: perStep,
    root: checked.root.toJSON(),
    targets: checked.targets.toJSON(),
  });
  if (job instanceof Response) return job;
  return c.json({ job: job.id, kind: job.kind, steps: job.steps, bins: checked.bins.numberOfBins }, 202);
});

/**
 * A new root version and/or a new targets version. When the online keys change, every bin is
 * re-signed first (the Worker signs with ONLINE_KEY and ONLINE_KEY_NEXT), so that no client fails
 * at any moment of the rotation.
 */
async function publishOffline(c: AdminContext, rootJson: unknown, targetsJson: unknown, rolesJson: unknown) {
  const store = new MetadataStore(c.env.METADATA);
  const state = await loadState(store);
  if (!state) return errorResponse(c, 409, "no repository is published yet; bootstrap first");
  const now = c.get("now");
  const old = (await readRoot(store, await trustedRootVersion(store, state.notes.rootVersion))).signed;
  const root = rootJson === undefined ? undefined : verifyNextRoot(rootJson, old, now);
  const trusted = root?.signed ?? old;
  const roles = rolesJson === undefined ? {} : readObject(rolesJson, "roles");
  const layout = { roles, published: await publishedRoles(store, state) };
  let next;
  if (targetsJson !== undefined) {
    next = verifyTargets(targetsJson, trusted, now, layout);
    const current = state.targets.signed.version;
    if (next.targets.signed.version <= current) throw new FieldError("targets.signed.version", `must be greater than the current ${current}`);
  } else {
    try {
      next = verifyTargets(state.targets, trusted, now, layout);
    } catch (e) {
      const aboutTargets = e instanceof VerificationError || (e instanceof FieldError && e.field.startsWith("targets"));
      if (!aboutTargets) throw e;
      throw new FieldError("targets", `the published targets does not verify under the new root (${(e as Error).message}); submit a new targets version with it`);
    }
  }
  const resign = onlineKeyids(trusted, next.online) !== onlineKeyids(old, state);
  const perStep = stepBins(c);
  // A claim whose keys change brings its project's next role, checked against the new keys.
  const claimRoles = next.layout ? await checkCeremonyClaims(store, state, next.layout, now) : new Map();
  const submitted = next.layout ? Object.fromEntries([...next.layout.roles, ...claimRoles].map(([name, m]) => [name, m.toJSON()])) : {};
  const job = await startJob(c, {
    kind: "publish",
    steps: (resign ? binSteps(state.bins.bitLength, perStep) : 0) + 1,
    binsPerStep: perStep,
    resign,
    ...(root ? { root: root.toJSON() } : {}),
    ...(targetsJson !== undefined ? { targets: next.targets.toJSON() } : {}),
    ...(Object.keys(submitted).length ? { roles: submitted } : {}),
  });
  if (job instanceof Response) return job;
  return c.json({ job: job.id, kind: job.kind, steps: job.steps, resign }, 202);
}

adminRoutes.post("/v1/admin/root", async (c) => {
  const body = await jsonBody(c.req.raw);
  if (body.root === undefined) throw new FieldError("root", "is required");
  return publishOffline(c, body.root, body.targets, body.roles);
});

/** A targets ceremony: a new targets version, and/or in PEP 480's layout new claimed, parts and unclaimed (`roles`). */
adminRoutes.post("/v1/admin/targets", async (c) => {
  const body = await jsonBody(c.req.raw);
  if (body.targets === undefined && body.roles === undefined) throw new FieldError("targets", "is required (or roles, in PEP 480's layout)");
  return publishOffline(c, undefined, body.targets, body.roles);
});

/** PEP 480: the operator claims a project for its maintainers' keys (recently-claimed, at the next commit). */
adminRoutes.post("/v1/admin/claims", claimProject);

/** Re-sign every bin with the Worker's online keys (what a rotation costs; also a repair tool). */
adminRoutes.post("/v1/admin/resign", async (c) => {
  const state = await loadState(new MetadataStore(c.env.METADATA));
  if (!state) return errorResponse(c, 409, "no repository is published yet; bootstrap first");
  const perStep = stepBins(c);
  const job = await startJob(c, { kind: "publish", steps: binSteps(state.bins.bitLength, perStep) + 1, binsPerStep: perStep, resign: true });
  if (job instanceof Response) return job;
  return c.json({ job: job.id, kind: job.kind, steps: job.steps, resign: true }, 202);
});

/** Bulk import (back-signing) takes larger chunks than the webhook; the CLI groups them by bin. */
export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;

/**
 * A chunk of `tuf-edge import`: the webhook's schema and rules, but each target stands alone (a
 * conflict rejects only that target). It must fit one commit: at most MAX_BINS_PER_COMMIT bins.
 */
adminRoutes.post("/v1/admin/import", async (c) => {
  const state = await loadState(new MetadataStore(c.env.METADATA));
  if (!state) return errorResponse(c, 409, "no repository is published yet; bootstrap first");
  const body = await readBody(c.req.raw, MAX_IMPORT_BYTES);
  if (!body) return errorResponse(c, 413, `body is larger than ${MAX_IMPORT_BYTES} bytes`);
  const request = parseUploadRequest(parseJsonBody(body));
  const bins = new Set(pathsOf(request).map((p) => state.bins.binFor(p))).size;
  if (bins > MAX_BINS_PER_COMMIT) {
    throw new FieldError("targets", `touches ${bins} bins; at most ${MAX_BINS_PER_COMMIT} per import request (group the listing by bin)`);
  }
  const id = newUploadId();
  await new UploadStore(c.env.METADATA).put({ id, state: "queued", received: new Date(c.get("now")).toISOString(), request, atomic: false, bins });
  await c.env.UPLOADS.send({ kind: "upload", id });
  return c.json({ id, accepted: request.targets.length + request.remove.length }, 202);
});

/**
 * Local development: store a package file and send the notification R2 sends in production, so
 * the consumer publishes it with the length and hash of the stored bytes. Outside DEV_MODE the route
 * does not exist: in production files reach the packages bucket on their own way.
 */
adminRoutes.put("/v1/admin/files/*", async (c) => {
  if (!isDevelopment(c.env)) return errorResponse(c, 404, "not found");
  let path: string;
  try {
    path = decodeURIComponent(new URL(c.req.url).pathname.slice("/v1/admin/files/".length));
  } catch {
    throw new FieldError("path", "is not valid percent-encoded UTF-8");
  }
  const key = checkTargetPath(path, "path");
  // Refused at once, not left in the bucket for the consumer to reject: in render mode a file must
  // name its project (shared/simple: a wheel or sdist file name, or its PEP 658 .metadata).
  if (readConfig(c.env).pagesMode === "render" && !projectOf(key)) {
    throw new FieldError("path", "names no project: not a wheel or sdist file name (nor its PEP 658 .metadata), which SIMPLE_PAGES=render needs");
  }
  // Read whole (development only): a refused create is then told apart, same bytes or other bytes.
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  const packages = new PackageStore(c.env.PACKAGES);
  // Package files are immutable, like the targets that describe them: never replace one.
  const object = await packages.create(key, bytes);
  if (!object) {
    const stored = await packages.compare(key, bytes);
    if (stored?.same) {
      // The same bytes again: nothing to do; the id is the upload the first PUT made.
      const { size, etag } = stored.object;
      return c.json({ id: await r2UploadId(key, etag), key, size, etag, unchanged: true }, 200);
    }
    const other = stored && { size: stored.object.size, etag: stored.object.etag };
    return errorResponse(c, 409, "other bytes are stored at that path already (package files are immutable)", { field: "path", stored: other });
  }
  // The upload the consumer records for the R2 event of this object version: look it up by this id.
  const id = await r2UploadId(key, object.etag);
  const received = new Date(c.get("now")).toISOString();
  await new UploadStore(c.env.METADATA).put({ id, state: "queued", received, request: { targets: [], remove: [] } });
  await c.env.UPLOADS.send({
    account: "local",
    action: "PutObject",
    bucket: "tuf-edge-packages",
    object: { key, size: object.size, eTag: object.etag },
    eventTime: received,
  });
  return c.json({ id, key, size: object.size, etag: object.etag }, 202);
});

/** Clears the status warning about rejected uploads, up to now (they stay listed under GET /v1/uploads). */
adminRoutes.post("/v1/admin/uploads/acknowledge", async (c) => {
  const until = new Date(c.get("now")).toISOString();
  await new UploadStore(c.env.METADATA).acknowledge(until);
  return c.json({ acknowledged: until });
});
