import { metadataFileOf, pageTargetPaths, parseDistFilename, provenanceFileOf } from "./names.js";
import { type PageFile, type ProjectPage, MAX_REMOVED_FILES, fileUrl, withFiles } from "./page.js";

/**
 * PyPI's rule for a project's files, applied to its page (invariant 5): a file name, once listed,
 * is bound to one path and one set of bytes for good, even after its removal. Pages list files by
 * name while publishing and revocation work by path; these functions join the two. Each refuses
 * with a PageRefusal whose message is the reason an uploader reads.
 */

export class PageRefusal extends Error {
  override readonly name = "PageRefusal";
}

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The distribution a PEP 658 `.metadata` or PEP 740 `.provenance` path belongs to, else null. */
export const distOfCompanion = (path: string): string | null => metadataFileOf(path) ?? provenanceFileOf(path);

/** The project a distribution path (or its `.metadata` or `.provenance`) belongs to, or null. */
export function projectOf(path: string): string | null {
  return parseDistFilename(basename(distOfCompanion(path) ?? path))?.project ?? null;
}

/** Paths a release also touches: each project's two pages, and each dist with its .metadata and .provenance. */
export function companionPaths(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    const project = projectOf(path);
    if (!project) continue;
    const { html, json } = pageTargetPaths(project);
    const dist = distOfCompanion(path) ?? path;
    out.add(html).add(json).add(dist).add(`${dist}.metadata`).add(`${dist}.provenance`);
  }
  return out;
}

/** The entry that lists `filename` on the page, and whether it is the one at `path`. */
function listed(page: ProjectPage | null, path: string): { file: PageFile; here: boolean } | null {
  const filename = basename(path);
  const file = page?.files.find((f) => f.filename === filename);
  return file ? { file, here: file.url === fileUrl(path) } : null;
}

/** The page with the distribution at `path`; the same page when it lists that very file already. */
export function addDist(page: ProjectPage | null, project: string, path: string, file: Omit<PageFile, "filename" | "url">): ProjectPage {
  const filename = basename(path);
  if (page?.removed?.includes(filename)) throw new PageRefusal(`file name ${filename} was removed from ${project}, and a removed file name is never used again`);
  const held = listed(page, path);
  if (held) {
    if (held.here && held.file.hashes.sha256 === file.hashes.sha256 && held.file.size === file.size) return page!;
    const where = held.here ? "with other bytes" : `at another path (${held.file.url})`;
    throw new PageRefusal(`file name ${filename} is already listed by ${project} ${where}: a file name is never bound to other bytes`);
  }
  return withFiles(page, project, [{ ...file, filename, url: fileUrl(path) }], [])!;
}

/**
 * The page without the distribution at `path`, its file name remembered as removed (the page stays
 * when no file is left). A removal of another path, even one with the same file name, leaves the
 * page as it is.
 */
export function removeDist(page: ProjectPage | null, project: string, path: string): ProjectPage | null {
  if (!page || !listed(page, path)?.here) return page;
  const filename = basename(path);
  const removed = [...(page.removed ?? []), filename].sort();
  if (removed.length > MAX_REMOVED_FILES) throw new PageRefusal(`${project} has removed ${MAX_REMOVED_FILES} file names, the most a page remembers`);
  // A page with no file left stays, as a project does on PyPI: it remembers the removed names.
  const next = withFiles(page, project, [], [filename]) ?? { name: page.name, files: [], versions: [] };
  return { ...next, removed };
}

/**
 * PEP 658: the page with the `.metadata` of the distribution at `distPath` (null: without it). It
 * belongs to that path only: the same file name listed at another path refuses it. A page that
 * does not list the file yet is unchanged (the distribution attaches it when it comes).
 */
export function setCoreMetadata(page: ProjectPage | null, project: string, distPath: string, sha256: string | null): ProjectPage | null {
  const held = listed(page, distPath);
  if (!held) return page;
  if (!held.here) throw new PageRefusal(`${basename(distPath)} is listed by ${project} at another path (${held.file.url}); its .metadata belongs beside it`);
  const { coreMetadata: _, ...rest } = held.file;
  const file = sha256 ? { ...rest, coreMetadata: { sha256 } } : rest;
  return { ...page!, files: page!.files.map((f) => (f === held.file ? file : f)) };
}

/**
 * PEP 740: the page linking the provenance of the distribution at `distPath` (false: unlinked).
 * Like a `.metadata`, it belongs to that path only; a page that does not list the file is unchanged.
 */
export function setProvenance(page: ProjectPage | null, project: string, distPath: string, present: boolean): ProjectPage | null {
  const held = listed(page, distPath);
  if (!held) return page;
  if (!held.here) throw new PageRefusal(`${basename(distPath)} is listed by ${project} at another path (${held.file.url}); its .provenance belongs beside it`);
  const { provenance: _, ...rest } = held.file;
  const file = present ? { ...rest, provenance: `${held.file.url}.provenance` } : rest;
  return { ...page!, files: page!.files.map((f) => (f === held.file ? file : f)) };
}
