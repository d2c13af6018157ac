import { Hono } from "hono";
import { isHex } from "../../shared/encoding.js";
import { startWebhookCheck } from "../../shared/webhook.js";
import type { AppEnv } from "../env.js";
import { ContentMismatch, ContentStore } from "../storage/content.js";
import { errorResponse, readBody } from "./errors.js";

/** Large projects' pages are several MB; 16 MiB leaves room and stays far from a Worker's 128 MB. */
export const MAX_CONTENT_BYTES = 16 * 1024 * 1024;

const UNAUTHORIZED = "missing, wrong or stale signature (X-Webhook-Timestamp within 300 s, X-Webhook-Signature sha256=<hmac>, X-Webhook-Key-Id if not the primary secret)";

/**
 * PUT /v1/content/{sha256}: the bytes of a mutable target, before a webhook publishes it. Signed
 * exactly like the upload webhook (contract.md, "Webhook"), checked the same way: the headers
 * first (nothing of an unauthenticated body is read), then the HMAC fed as the body streams in,
 * with WEBHOOK_SECRET_NEXT by key id during a rotation. 201 when stored, 200 when already there;
 * 400 when the bytes are not what the URL names. Never signs.
 */
export const contentRoutes = new Hono<AppEnv>().put("/v1/content/:sha256", async (c) => {
  const check = startWebhookCheck(
    [c.env.WEBHOOK_SECRET, c.env.WEBHOOK_SECRET_NEXT],
    { timestamp: c.req.header("x-webhook-timestamp"), signature: c.req.header("x-webhook-signature"), keyId: c.req.header("x-webhook-key-id") },
    c.get("now"),
  );
  if (typeof check === "string") return errorResponse(c, 401, UNAUTHORIZED, { reason: check });
  const named = c.req.param("sha256");
  if (!isHex(named, 64)) return errorResponse(c, 400, "the URL must name the content by 64 lowercase hex digits of its SHA-256", { field: "sha256" });
  const body = await readBody(c.req.raw, MAX_CONTENT_BYTES, (chunk) => check.update(chunk));
  if (!body) return errorResponse(c, 413, `body is larger than ${MAX_CONTENT_BYTES} bytes`);
  if (!check.verify()) return errorResponse(c, 401, UNAUTHORIZED, { reason: "X-Webhook-Signature does not match the body" });
  try {
    const stored = await new ContentStore(c.env.METADATA).put(body, named);
    return c.json(stored, stored.created ? 201 : 200);
  } catch (e) {
    if (!(e instanceof ContentMismatch)) throw e;
    return errorResponse(c, 400, "the SHA-256 of the body is not the one in the URL", { field: "sha256", sha256: e.actual });
  }
});
