/**
 * The client's real Accept-Encoding. Inside a Worker the header reads `br, gzip` whatever the client
 * sent; Cloudflare passes the original in `request.cf.clientAcceptEncoding` (workers-stack.md).
 */
export function clientAcceptEncoding(request: Request): string {
  const cf = (request as { cf?: { clientAcceptEncoding?: string } }).cf;
  return cf?.clientAcceptEncoding ?? request.headers.get("Accept-Encoding") ?? "";
}

/**
 * Whether an Accept-Encoding value names gzip (`gzip` or `x-gzip` with q > 0, RFC 9110 §12.5.3).
 * A bare `*` gets plain JSON: always correct, and Cloudflare's edge (as Miniflare emulates it) strips
 * Content-Encoding from a gzip response to such a client without decompressing it.
 */
export function acceptsGzip(acceptEncoding: string): boolean {
  let gzip = 0;
  for (const element of acceptEncoding.split(",")) {
    const [coding = "", ...params] = element.split(";").map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (m) q = Number(m[1]);
    }
    if (Number.isNaN(q)) q = 0;
    if (coding === "gzip" || coding === "x-gzip") gzip = Math.max(gzip, q);
  }
  return gzip > 0;
}

/** Whether If-None-Match names this entity (weak comparison, RFC 9110 §13.1.2). */
export function ifNoneMatchHits(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}
