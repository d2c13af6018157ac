import { type Context, Hono } from "hono";
import { type AppEnv, readConfig } from "../env.js";
import { type MetadataName, parseMetadataName } from "../storage/metadata-name.js";
import { type FileInfo, MetadataStore } from "../storage/metadata-store.js";
import { type Delta, type DeltaRequest, type StoredBytes, cachedDelta, dczEtag, deltaRequest, dictionaryOffer } from "./dcz.js";
import { errorResponse } from "./errors.js";
import { acceptsGzip, clientAcceptEncoding, ifNoneMatchHits } from "./negotiate.js";
import { rawPathAfter } from "./target-path.js";

/** Versioned files never change (invariant 2): a CDN and the client may keep them for a year. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
/** A file that does not exist yet may exist a second later (the next root, the next snapshot). */
export const NO_STORE = "no-store";

/** A stored metadata file on its way out: the gzip bytes as stored (null for HEAD) and what they decode to. */
interface GzipFile {
  readonly info: FileInfo;
  readonly gzipLength: number;
  readonly body: ReadableStream | Uint8Array | null;
}

// The Cache API entry of an immutable file holds the stored gzip bytes as opaque bytes (so nothing
// on the way re-encodes them), under a path of our own so it never answers a client's URL as is.
const cacheKey = (requestUrl: string, name: string) => new URL(`/.cache/metadata/${name}`, requestUrl).toString();
const LENGTH_HEADER = "X-Tuf-Length";
const SHA256_HEADER = "X-Tuf-Sha256";

/** An immutable file from this location's cache, else from R2 (then cached for the next reader). */
async function immutableFile(c: Context<AppEnv>, name: string, head: boolean): Promise<GzipFile | null> {
  const cache = caches.default;
  const key = cacheKey(c.req.url, name);
  const hit = await cache.match(key);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    const info = { length: Number(hit.headers.get(LENGTH_HEADER)), sha256: hit.headers.get(SHA256_HEADER) ?? "" };
    return { info, gzipLength: bytes.length, body: head ? null : bytes };
  }
  const stored = await new MetadataStore(c.env.METADATA).served(name, head);
  if (!stored || head) return stored;
  const bytes = new Uint8Array(await new Response(stored.body).arrayBuffer());
  const entry = new Response(bytes, {
    headers: {
      "Content-Type": "application/octet-stream",
      "Cache-Control": IMMUTABLE,
      [LENGTH_HEADER]: String(stored.info.length),
      [SHA256_HEADER]: stored.info.sha256,
    },
  });
  c.executionCtx.waitUntil(cache.put(key, entry));
  return { ...stored, body: bytes };
}

/**
 * The ETag of each representation (RFC 9110 §8.8.3: a strong tag names one representation, and
 * gzip and identity are two): the SHA-256 of the uncompressed JSON, with `-gzip` for the gzip bytes.
 */
export const identityEtag = (info: FileInfo) => `"${info.sha256}"`;
export const gzipEtag = (info: FileInfo) => `"${info.sha256}-gzip"`;

/** How a response varies (RFC 9842 §2.3: the dictionary a client names selects the representation). */
export interface Negotiation {
  readonly cacheControl: string;
  readonly vary: string;
  /** `Use-As-Dictionary` for a file that serves as a dictionary for the next versions of its role. */
  readonly offer?: string;
}

function baseHeaders(etag: string, how: Negotiation): Headers {
  const headers = new Headers({ ETag: etag, "Cache-Control": how.cacheControl, Vary: how.vary });
  if (how.offer) headers.set("Use-As-Dictionary", how.offer);
  return headers;
}

/**
 * The response for a stored file (contract.md, "Metadata responses"): the stored gzip bytes with
 * `encodeBody: "manual"` for a client that accepts gzip (so workerd does not compress them again),
 * else the decompressed JSON. Lengths are always those of the uncompressed JSON.
 */
function metadataResponse(file: GzipFile, request: Request, how: Negotiation): Response {
  const gzip = acceptsGzip(clientAcceptEncoding(request));
  const headers = baseHeaders(gzip ? gzipEtag(file.info) : identityEtag(file.info), how);
  if (ifNoneMatchHits(request.headers.get("If-None-Match"), headers.get("ETag")!)) {
    if (file.body instanceof ReadableStream) void file.body.cancel();
    return new Response(null, { status: 304, headers });
  }
  headers.set("Content-Type", "application/json");
  if (gzip) {
    headers.set("Content-Encoding", "gzip");
    headers.set("Content-Length", String(file.gzipLength));
    return new Response(file.body, { headers, encodeBody: "manual" });
  }
  headers.set("Content-Length", String(file.info.length));
  if (file.body === null) return new Response(null, { headers });
  const plain = (file.body instanceof ReadableStream ? file.body : new Response(file.body).body!)
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(new FixedLengthStream(file.info.length));
  return new Response(plain, { headers });
}

/** The bytes the delta is made from: the stored gzip of an immutable file (through the cache). */
async function storedBytes(c: Context<AppEnv>, name: string): Promise<StoredBytes | null> {
  const file = await immutableFile(c, name, false);
  return file ? { gzip: file.body as Uint8Array, sha256: file.info.sha256 } : null;
}

function dczResponse(delta: Delta, request: DeltaRequest, ifNoneMatch: string | null, how: Negotiation): Response {
  const headers = baseHeaders(dczEtag(delta.contentSha256, request), how);
  if (ifNoneMatchHits(ifNoneMatch, headers.get("ETag")!)) return new Response(null, { status: 304, headers });
  headers.set("Content-Type", "application/json");
  headers.set("Content-Encoding", "dcz");
  headers.set("Content-Length", String(delta.body.length));
  return new Response(delta.body, { headers, encodeBody: "manual" });
}

const notFound = (c: Context<AppEnv>, name: string) => {
  c.header("Cache-Control", NO_STORE);
  return errorResponse(c, 404, "no such metadata file", { name });
};

const VARY_DELTA = "Accept-Encoding, Available-Dictionary";

/** GET and HEAD (Hono answers HEAD with the GET route and drops the body) of /metadata/{name}. */
export const metadataRoutes = new Hono<AppEnv>().get("/metadata/*", async (c) => {
  const raw = rawPathAfter(c.req.url, "/metadata/") ?? "";
  const name: MetadataName | null = parseMetadataName(raw);
  if (!name) return notFound(c, raw.slice(0, 255));
  const head = c.req.method === "HEAD";
  if (name.kind === "timestamp") {
    const file = await new MetadataStore(c.env.METADATA).served(name.name, head);
    if (!file) return notFound(c, name.name);
    const cacheControl = `public, max-age=${readConfig(c.env).timestampMaxAgeSeconds}`;
    return metadataResponse(file, c.req.raw, { cacheControl, vary: "Accept-Encoding" });
  }
  const how = { cacheControl: IMMUTABLE, vary: VARY_DELTA, offer: dictionaryOffer(c.req.url, name) };
  // HEAD never computes a delta: it answers what a client without a dictionary would get.
  const request = head ? null : deltaRequest(c.req.raw, clientAcceptEncoding(c.req.raw), name);
  if (request) {
    const delta = await cachedDelta(c.req.url, c.executionCtx, name.name, request, (n) => storedBytes(c, n));
    if (delta) return dczResponse(delta, request, c.req.header("If-None-Match") ?? null, how);
  }
  const file = await immutableFile(c, name.name, head);
  if (!file) return notFound(c, name.name);
  return metadataResponse(file, c.req.raw, how);
});
