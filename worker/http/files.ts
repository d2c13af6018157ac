import { Hono } from "hono";
import { type AppEnv, isDevelopment } from "../env.js";
import { PackageStore } from "../storage/packages.js";
import { errorResponse } from "./errors.js";
import { IMMUTABLE } from "./metadata.js";
import { ifNoneMatchHits } from "./negotiate.js";
import { targetPathOf } from "./targets.js";

/**
 * Whatever a file holds, it is served as a download: never rendered, never run on this origin (a
 * stored text/html object would otherwise be a page of ours).
 */
/** RFC 5987 ext-value characters: encodeURIComponent leaves ' ( ) * unescaped, which it does not allow. */
const rfc5987 = (s: string) => encodeURIComponent(s).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);

function downloadHeaders(headers: Headers, path: string) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  headers.set("Content-Type", "application/octet-stream");
  headers.set("Content-Disposition", `attachment; filename="${ascii}"; filename*=UTF-8''${rfc5987(name)}`);
  headers.set("Content-Security-Policy", "default-src 'none'; sandbox");
  headers.set("X-Content-Type-Options", "nosniff");
}

/**
 * GET and HEAD /files/{path}: the PACKAGES bucket as a file host, in local development only (DEV_MODE),
 * where /targets redirects here. In production the route does not exist: the bucket holds revoked
 * and never-published objects too, and FILES_BASE_URL is the file host.
 */
export const filesRoutes = new Hono<AppEnv>().get("/files/*", async (c) => {
  if (!isDevelopment(c.env)) return errorResponse(c, 404, "not found");
  const path = targetPathOf(c, "/files/");
  if (path instanceof Response) return path;
  const head = c.req.method === "HEAD";
  const object = await new PackageStore(c.env.PACKAGES).served(path, head);
  if (!object) return errorResponse(c, 404, "no such file", { path });
  const body = "body" in object ? (object as R2ObjectBody).body : null;
  // Artifacts are immutable (invariant 5: a path is never republished with other bytes).
  const headers = new Headers({ ETag: object.httpEtag, "Cache-Control": IMMUTABLE });
  if (ifNoneMatchHits(c.req.header("If-None-Match") ?? null, object.httpEtag)) {
    void body?.cancel();
    return new Response(null, { status: 304, headers });
  }
  downloadHeaders(headers, path);
  headers.set("Content-Length", String(object.size));
  return new Response(body, { headers });
});
