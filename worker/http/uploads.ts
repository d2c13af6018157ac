import { Hono } from "hono";
import { MAX_STORAGE_OPS_PER_COMMIT, uploadCost } from "../../shared/budget.js";
import { FieldError } from "../../shared/errors.js";
import { parseUploadRequest } from "../../shared/upload.js";
import { startWebhookCheck, webhookKeyId } from "../../shared/webhook.js";
import { type AppEnv, readConfig } from "../env.js";
import { clearPending, markPending } from "../storage/pending.js";
import { ReplayGuard } from "../storage/replays.js";
import { UploadStore, isUploadId, newUploadId } from "../storage/uploads.js";
import { errorResponse, parseJsonBody, readBody } from "./errors.js";

export const MAX_BODY_BYTES = 1024 * 1024;
/** Targets plus removals in one request: each may touch a bin, and one commit is bounded. */
export const MAX_ENTRIES = 2000;
/** A request that removes more paths than this is logged as a `mass-removal` event, worth an alert. */
export const MASS_REMOVAL_THRESHOLD = 100;

/** The upload webhook (contract.md, "Webhook") and upload status. Validates and queues; never signs. */
export const uploadRoutes = new Hono<AppEnv>();

const UNAUTHORIZED = "missing, wrong or stale signature (X-Webhook-Timestamp within 300 s, X-Webhook-Signature sha256=<hmac>, X-Webhook-Key-Id if not the primary secret)";

uploadRoutes.post("/v1/uploads", async (c) => {
  // The headers first: a request that cannot be authentic is refused before a byte of its body is read.
  const keyId = c.req.header("x-webhook-key-id");
  const check = startWebhookCheck(
    [c.env.WEBHOOK_SECRET, c.env.WEBHOOK_SECRET_NEXT],
    { timestamp: c.req.header("x-webhook-timestamp"), signature: c.req.header("x-webhook-signature"), keyId },
    c.get("now"),
  );
  if (typeof check === "string") return errorResponse(c, 401, UNAUTHORIZED, { reason: check });
  const body = await readBody(c.req.raw, MAX_BODY_BYTES, (chunk) => check.update(chunk));
  if (!body) return errorResponse(c, 413, `body is larger than ${MAX_BODY_BYTES} bytes`);
  if (!check.verify()) return errorResponse(c, 401, UNAUTHORIZED, { reason: "X-Webhook-Signature does not match the body" });
  const request = parseUploadRequest(parseJsonBody(body));
  if (request.targets.length + request.remove.length > MAX_ENTRIES) {
    // Name the list that crosses the limit: `remove` when the targets alone are within it.
    const field = request.targets.length > MAX_ENTRIES ? "targets" : "remove";
    throw new FieldError(field, `at most ${MAX_ENTRIES} targets and removals in one request`);
  }
  // Bounded work (invariant 9): one request must fit one commit, the pages it re-renders included.
  const cost = uploadCost(request, readConfig(c.env).pagesMode === "render");
  if (cost > MAX_STORAGE_OPS_PER_COMMIT) {
    throw new FieldError("targets", `would take ${cost} storage operations in one commit, past the bound of ${MAX_STORAGE_OPS_PER_COMMIT}: split the request`);
  }
  const id = newUploadId();
  const uploads = new UploadStore(c.env.METADATA);
  const received = new Date(c.get("now")).toISOString();
  // The signature covers timestamp and body: the same signed request again is a replay.
  const replays = new ReplayGuard(c.env.METADATA);
  const signature = c.req.header("x-webhook-signature")!.trim();
  const first = await replays.claim(signature, id, received);
  if (first) return errorResponse(c, 409, "this signed request was accepted already (a replay); sign a new one to send it again", { id: first });
  await uploads.put({ id, state: "queued", received, request });
  await markPending(c.env.METADATA, { id, received });
  try {
    await c.env.UPLOADS.send({ kind: "upload", id });
  } catch (e) {
    // Not queued, so not accepted: leave no record that would say "queued" forever.
    await uploads.delete(id);
    await clearPending(c.env.METADATA, [{ id, received }]);
    await replays.release(signature);
    console.error(JSON.stringify({ event: "upload-not-queued", id, error: (e as Error).message }));
    return errorResponse(c, 503, "the upload could not be queued; nothing was accepted, send it again");
  }
  if (request.remove.length > MASS_REMOVAL_THRESHOLD) {
    // Many revocations at once are legitimate rarely: say so where an alert can see it.
    console.log(JSON.stringify({ event: "mass-removal", id, removals: request.remove.length, keyId: keyId ?? webhookKeyId(c.env.WEBHOOK_SECRET), received }));
  }
  return c.json({ id, accepted: request.targets.length + request.remove.length }, 202);
});

const LIST_LIMIT = { default: 50, max: 200 };

/** Recent rejections, newest first, with each one's first reason (contract.md, "Uploads"). */
uploadRoutes.get("/v1/uploads", async (c) => {
  const state = c.req.query("state");
  if (state !== "rejected") return errorResponse(c, 400, "only state=rejected can be listed (see GET /v1/status for the oldest queued upload)", { field: "state" });
  const limitText = c.req.query("limit");
  const limit = limitText === undefined ? LIST_LIMIT.default : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > LIST_LIMIT.max) {
    return errorResponse(c, 400, `limit must be a whole number from 1 to ${LIST_LIMIT.max}`, { field: "limit" });
  }
  const cursor = c.req.query("cursor");
  if (cursor !== undefined && !/^[\w+/=.~-]{1,1024}$/.test(cursor)) return errorResponse(c, 400, "cursor is not one this API gave", { field: "cursor" });
  let page;
  try {
    page = await new UploadStore(c.env.METADATA).rejections(limit, cursor);
  } catch (e) {
    if (cursor === undefined) throw e;
    return errorResponse(c, 400, "cursor is not one this API gave (or it has expired)", { field: "cursor" });
  }
  c.header("Cache-Control", "no-store");
  return c.json({ state, uploads: page.rejections, ...(page.cursor ? { cursor: page.cursor } : {}) });
});

uploadRoutes.get("/v1/uploads/:id", async (c) => {
  const id = c.req.param("id");
  if (!isUploadId(id)) return errorResponse(c, 404, "no such upload");
  const record = await new UploadStore(c.env.METADATA).get(id);
  if (!record) return errorResponse(c, 404, "no such upload");
  const { request, ...rest } = record;
  // `results`: each target and removal as published, unchanged, superseded or rejected (with the reason).
  return c.json({ ...rest, targets: request.targets.length, remove: request.remove.length });
});
