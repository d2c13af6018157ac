/**
 * The client's real Accept-Encoding. Inside a Worker the header reads `br, gzip` whatever the client
 * sent; Cloudflare passes the original in `request.cf.clientAcceptEncoding` (Cloudflare's documentation of `request.cf`).
 */
export function clientAcceptEncoding(request: Request): string {
  const cf = (request as { cf?: { clientAcceptEncoding?: string } }).cf;
  return cf?.clientAcceptEncoding ?? request.headers.get("Accept-Encoding") ?? "";
}

/**
 * Whether an Accept-Encoding value names `coding` with q > 0 (RFC 9110 §12.5.3; `x-gzip` counts as
 * gzip). A bare `*` counts for nothing: for gzip, plain JSON is always correct, and Cloudflare's edge
 * (as Miniflare emulates it) strips Content-Encoding from a gzip response to such a client without
 * decompressing it; `dcz` is only ever sent to a client that names it (RFC 9842 §4).
 */
export function acceptsCoding(acceptEncoding: string, coding: "gzip" | "dcz"): boolean {
  let best = 0;
  for (const element of acceptEncoding.split(",")) {
    const [name = "", ...params] = element.split(";").map((s) => s.trim().toLowerCase());
    let q = 1;
    for (const param of params) {
      const m = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (m) q = Number(m[1]);
    }
    if (Number.isNaN(q)) q = 0;
    if (name === coding || (coding === "gzip" && name === "x-gzip")) best = Math.max(best, q);
  }
  return best > 0;
}

export const acceptsGzip = (acceptEncoding: string): boolean => acceptsCoding(acceptEncoding, "gzip");

/** Whether If-None-Match names this entity (weak comparison, RFC 9110 §13.1.2). */
export function ifNoneMatchHits(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}
