import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { errorResponse } from "./errors.js";
import { IMMUTABLE } from "./metadata.js";
import { ifNoneMatchHits } from "./negotiate.js";
import { targetPathOf } from "./targets.js";

/**
 * GET and HEAD /files/{path}: the PACKAGES bucket as a file host, for local development, where
 * FILES_BASE_URL is empty and /targets redirects here (contract.md). With a file host configured
 * the route does not exist.
 */
export const filesRoutes = new Hono<AppEnv>().get("/files/*", async (c) => {
  if (c.env.FILES_BASE_URL) return errorResponse(c, 404, "not found");
  const path = targetPathOf(c, "/files/");
  if (path instanceof Response) return path;
  const head = c.req.method === "HEAD";
  const object = head ? await c.env.PACKAGES.head(path) : await c.env.PACKAGES.get(path);
  if (!object) return errorResponse(c, 404, "no such file", { path });
  const body = "body" in object ? (object as R2ObjectBody).body : null;
  // Artifacts are immutable (invariant 5: a path is never republished with other bytes).
  const headers = new Headers({ ETag: object.httpEtag, "Cache-Control": IMMUTABLE });
  if (ifNoneMatchHits(c.req.header("If-None-Match") ?? null, object.httpEtag)) {
    void body?.cancel();
    return new Response(null, { status: 304, headers });
  }
  headers.set("Content-Type", object.httpMetadata?.contentType ?? "application/octet-stream");
  headers.set("Content-Length", String(object.size));
  headers.set("X-Content-Type-Options", "nosniff");
  return new Response(body, { headers });
});
