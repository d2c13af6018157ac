/**
 * PEP 691 content negotiation for the simple API: which of the project's two signed pages (HTML or
 * JSON) answers a request, and with which Content-Type.
 */

export interface SimpleRepresentation {
  readonly format: "html" | "json";
  readonly contentType: string;
  /** Distinguishes representations in the ETag (text/html and the v1+html alias share bytes). */
  readonly tag: string;
}

const HTML: SimpleRepresentation = { format: "html", contentType: "text/html; charset=utf-8", tag: "html" };
const V1_HTML: SimpleRepresentation = { format: "html", contentType: "application/vnd.pypi.simple.v1+html", tag: "v1html" };
const V1_JSON: SimpleRepresentation = { format: "json", contentType: "application/vnd.pypi.simple.v1+json", tag: "v1json" };

/**
 * What we offer, in our order of preference for ties. text/html first: a client that names no type
 * (or `*\/*`) gets the PEP 503 page, as PEP 691 recommends. `latest` is answered with v1, the version
 * it stands for (the response names the real version).
 */
const OFFERS: readonly (readonly [string, SimpleRepresentation])[] = [
  ["text/html", HTML],
  ["application/vnd.pypi.simple.v1+json", V1_JSON],
  ["application/vnd.pypi.simple.v1+html", V1_HTML],
  ["application/vnd.pypi.simple.latest+json", V1_JSON],
  ["application/vnd.pypi.simple.latest+html", V1_HTML],
];

/** The media types a 406 lists. */
export const OFFERED_TYPES = OFFERS.map(([type]) => type);

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const element of accept.split(",")) {
    const [range = "", ...params] = element.split(";").map((s) => s.trim().toLowerCase());
    const m = /^([a-z0-9!#$&^_.+-]+|\*)\/([a-z0-9!#$&^_.+-]+|\*)$/.exec(range);
    if (!m || (m[1] === "*" && m[2] !== "*")) continue;
    let q = 1;
    for (const param of params) {
      const qm = /^q\s*=\s*([0-9.]+)$/.exec(param);
      if (qm) q = Number(qm[1]);
    }
    ranges.push({ type: m[1]!, subtype: m[2]!, q: Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0 });
  }
  return ranges;
}

/** The q of the most specific range that matches `mediaType` (RFC 9110 §12.5.1), 0 when none does. */
function qualityOf(ranges: readonly MediaRange[], mediaType: string): number {
  const [type, subtype] = mediaType.split("/") as [string, string];
  let best = -1;
  let q = 0;
  for (const r of ranges) {
    const specificity = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === "*" ? 1 : r.type === "*" ? 0 : -1;
    if (specificity > best) [best, q] = [specificity, r.q];
    else if (specificity === best && specificity >= 0) q = Math.max(q, r.q);
  }
  return q;
}

/**
 * The representation for `accept` (a missing or empty header counts as `*\/*`), or for PyPI's
 * `?format=` (which overrides it and must name one of the offered types exactly). Null: 406.
 */
export function chooseRepresentation(accept: string | null, format: string | null): SimpleRepresentation | null {
  if (format !== null) return OFFERS.find(([type]) => type === format.trim().toLowerCase())?.[1] ?? null;
  const ranges = parseAccept(accept?.trim() ? accept : "*/*");
  let chosen: SimpleRepresentation | null = null;
  let bestQ = 0;
  for (const [type, representation] of OFFERS) {
    const q = qualityOf(ranges, type);
    if (q > bestQ) {
      bestQ = q;
      chosen = representation;
    }
  }
  return chosen;
}
