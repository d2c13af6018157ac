import { utf8 } from "../encoding.js";
import { type PageFile, type ProjectPage, REMOVED_FILES } from "./page.js";
import { sortVersions } from "./version.js";

/** The PEP 691 API version our pages state: 1.3 (PEP 700: size, upload-time, versions; PEP 740: provenance). */
export const API_VERSION = "1.3";

/** HTML-escapes text and attribute values: filenames, URLs and reasons are chosen by uploaders. */
const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => (/[&<>"']/.test(s) ? s.replace(/[&<>"']/g, (c) => ENTITIES[c]!) : s);

const sortedFiles = (page: ProjectPage) => [...page.files].sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));

function jsonFile(f: PageFile): Record<string, unknown> {
  const out: Record<string, unknown> = {
    filename: f.filename,
    url: f.url,
    hashes: { sha256: f.hashes.sha256 },
    size: f.size,
    "upload-time": f.uploadTime,
  };
  if (f.coreMetadata) {
    out["core-metadata"] = { sha256: f.coreMetadata.sha256 };
    out["data-dist-info-metadata"] = { sha256: f.coreMetadata.sha256 };
  }
  if (f.requiresPython !== undefined) out["requires-python"] = f.requiresPython;
  if (f.yanked !== undefined && f.yanked !== false) out.yanked = f.yanked;
  if (f.provenance !== undefined) out.provenance = f.provenance;
  return out;
}

function htmlAnchor(f: PageFile): string {
  const attrs = [`href="${escapeHtml(`${f.url}#sha256=${f.hashes.sha256}`)}"`];
  if (f.requiresPython !== undefined) attrs.push(`data-requires-python="${escapeHtml(f.requiresPython)}"`);
  if (f.coreMetadata) {
    attrs.push(`data-core-metadata="sha256=${f.coreMetadata.sha256}"`);
    attrs.push(`data-dist-info-metadata="sha256=${f.coreMetadata.sha256}"`);
  }
  if (f.yanked !== undefined && f.yanked !== false) attrs.push(`data-yanked="${f.yanked === true ? "" : escapeHtml(f.yanked)}"`);
  if (f.provenance !== undefined) attrs.push(`data-provenance="${escapeHtml(f.provenance)}"`);
  return `    <a ${attrs.join(" ")}>${escapeHtml(f.filename)}</a><br />`;
}

/**
 * The two pages of a project (PEP 503 HTML and PEP 691 JSON, API version 1.1), as deterministic
 * bytes: files in filename order, versions in version order, fixed key order, no time of rendering.
 * The bytes are what gets signed (the target's hash) and served, so a page re-rendered from the
 * same file set is the same target.
 */
export function renderPages(page: ProjectPage): { html: Uint8Array; json: Uint8Array } {
  const files = sortedFiles(page);
  const json = {
    meta: { "api-version": API_VERSION },
    name: page.name,
    files: files.map(jsonFile),
    versions: sortVersions(page.versions),
    ...(page.removed?.length ? { [REMOVED_FILES]: [...page.removed].sort() } : {}),
  };
  const name = escapeHtml(page.name);
  const html = [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    `    <meta name="pypi:repository-version" content="${API_VERSION}">`,
    `    <title>Links for ${name}</title>`,
    "  </head>",
    "  <body>",
    `    <h1>Links for ${name}</h1>`,
    ...files.map(htmlAnchor),
    "  </body>",
    "</html>",
    "",
  ].join("\n");
  return { html: utf8(html), json: utf8(JSON.stringify(json)) };
}
