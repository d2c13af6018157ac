import type { Context } from "hono";
import type { AppEnv } from "../env.js";
import { ContentStore, type StoredContent } from "../storage/content.js";
import { acceptsGzip, clientAcceptEncoding, ifNoneMatchHits } from "./negotiate.js";

/**
 * Bytes that uploaders chose, served from our own origin: the browser gets a content type we pick,
 * must not sniff another, and runs nothing (a sandboxed document with no sources at all).
 */
export const UNTRUSTED_CONTENT_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; sandbox",
  "X-Content-Type-Options": "nosniff",
} as const;

/**
 * The response for stored content (a mutable target's bytes): the stored gzip bytes as they are
 * (`encodeBody: "manual"`, so workerd does not compress them again) for a client that accepts gzip,
 * else the plain bytes. The ETag differs per encoding, as the bytes on the wire do (RFC 9110
 * §8.8.3), and is made of the plain bytes' SHA-256 and, when given, a tag of the representation.
 */
export function contentResponse(
  content: StoredContent,
  request: Request,
  headers: Headers,
  representation = "",
): Response {
  const gzip = acceptsGzip(clientAcceptEncoding(request));
  const etag = `"${content.sha256}${representation ? `.${representation}` : ""}${gzip ? ".gz" : ""}"`;
  headers.set("ETag", etag);
  headers.append("Vary", "Accept-Encoding");
  if (ifNoneMatchHits(request.headers.get("If-None-Match"), etag)) {
    void content.body?.cancel();
    return new Response(null, { status: 304, headers });
  }
  for (const [name, value] of Object.entries(UNTRUSTED_CONTENT_HEADERS)) headers.set(name, value);
  if (gzip) {
    headers.set("Content-Encoding", "gzip");
    headers.set("Content-Length", String(content.gzipLength));
    return new Response(content.body, { headers, encodeBody: "manual" });
  }
  headers.set("Content-Length", String(content.length));
  if (content.body === null) return new Response(null, { headers });
  const plain = content.body.pipeThrough(new DecompressionStream("gzip")).pipeThrough(new FixedLengthStream(content.length));
  return new Response(plain, { headers });
}

// Content is named by its hash, so a cached entry can never be stale: this location's cache holds
// the stored gzip bytes as opaque bytes, under a path of our own that no client URL reaches.
const cacheKey = (requestUrl: string, path: string, sha256: string) =>
  new URL(`/.cache/content/${sha256}/${encodeURIComponent(path)}`, requestUrl).toString();
const LENGTH_HEADER = "X-Content-Length";

/**
 * The bytes `path` is published with, from this location's cache, else from R2 (then cached for
 * the next reader). HEAD asks R2 only: it transfers nothing, and says whether the content is still
 * stored. `legacy`: see ContentStore.storedAt.
 */
export async function readContent(c: Context<AppEnv>, path: string, sha256: string, head: boolean, legacy: boolean): Promise<StoredContent | null> {
  const store = new ContentStore(c.env.METADATA);
  if (head) return store.storedAt(path, sha256, true, legacy);
  const key = cacheKey(c.req.url, path, sha256);
  const hit = await caches.default.match(key);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    return { sha256, length: Number(hit.headers.get(LENGTH_HEADER)), gzipLength: bytes.length, body: new Response(bytes).body };
  }
  const stored = await store.storedAt(path, sha256, false, legacy);
  if (!stored) return null;
  const bytes = new Uint8Array(await new Response(stored.body).arrayBuffer());
  const entry = new Response(bytes, {
    headers: { "Content-Type": "application/octet-stream", "Cache-Control": "public, max-age=31536000, immutable", [LENGTH_HEADER]: String(stored.length) },
  });
  c.executionCtx.waitUntil(caches.default.put(key, entry));
  return { ...stored, body: new Response(bytes).body };
}
