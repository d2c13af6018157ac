import { sha256HexNative } from "../../shared/encoding.js";
import { type Removal, entryFor, serialOf } from "../../shared/mutable.js";
import {
  type PageFile, type ProjectPage, fileUrl, metadataFileOf, pageTargetPaths, parseDistFilename, parseJsonPage, parsePageTargetPath,
  renderPages, withCoreMetadata, withFiles,
} from "../../shared/simple/index.js";
import type { ContentStore } from "../storage/content.js";
import type { Change, PathView } from "./decide.js";

/**
 * Simple pages in render mode (SIMPLE_PAGES=render, the default): tuf-edge renders each project's
 * PEP 691 pages itself and publishes them in the same commit as the distributions they list. A
 * page is rebuilt from the previously signed JSON page plus the commit's changes, never from a
 * second source of truth. Pages are mutable targets whose serial tuf-edge counts up itself.
 */

export type PagesMode = "render" | "index";

const basename = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The project a distribution path (or its PEP 658 .metadata) belongs to, or null. */
function projectOf(path: string): string | null {
  return parseDistFilename(basename(metadataFileOf(path) ?? path))?.project ?? null;
}

/**
 * Why a path cannot be published (or removed) in this mode; null when it can. In render mode the
 * pages are tuf-edge's own, and a file arriving in the packages bucket must name its project.
 */
export function modeRefusal(mode: PagesMode, path: string, serial: number | undefined, fromBucket: boolean): string | null {
  const page = path.startsWith("simple/");
  if (mode === "index") {
    return page && parsePageTargetPath(path) && serial === undefined ? "is a simple page, which changes: send it with a serial" : null;
  }
  if (page) return "is under simple/, where tuf-edge renders the pages itself (SIMPLE_PAGES=render): send the distributions";
  if (fromBucket && !projectOf(path)) return "names no project: not a wheel or sdist file name (nor its PEP 658 .metadata)";
  return null;
}

/** Paths a commit must also read in render mode: each project's pages and each dist's .metadata. */
export function companionPaths(paths: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const path of paths) {
    const project = projectOf(path);
    if (!project) continue;
    const { html, json } = pageTargetPaths(project);
    out.add(html).add(json);
    const dist = metadataFileOf(path);
    out.add(dist ?? `${path}.metadata`);
  }
  return out;
}

async function signedPage(content: ContentStore, view: PathView | undefined): Promise<ProjectPage | null> {
  const sha256 = view?.current?.hashes.sha256;
  if (!sha256) return null;
  const bytes = await content.get(sha256);
  if (!bytes || sha256HexNative(bytes) !== sha256) throw new Error(`the signed page ${sha256} is not stored intact`);
  return parseJsonPage(bytes);
}

interface ProjectEdit {
  add: PageFile[];
  remove: string[];
  metadata: Map<string, string | null>;
}

/**
 * The page changes that follow a commit's distribution changes: for each touched project, both
 * pages re-rendered (or removed when no file is left), their bytes stored before any bin names them.
 */
export async function pageChanges(
  content: ContentStore,
  view: ReadonlyMap<string, PathView>,
  changes: Map<string, Change>,
  now: number,
): Promise<Map<string, Change>> {
  const fileAt = (path: string) => (changes.has(path) ? changes.get(path)!.file : (view.get(path)?.current ?? null));
  const edits = new Map<string, ProjectEdit>();
  const edit = (project: string) => edits.get(project) ?? edits.set(project, { add: [], remove: [], metadata: new Map() }).get(project)!;
  const out = new Map<string, Change>();

  for (const [path, change] of changes) {
    const project = projectOf(path);
    if (!project) continue;
    const dist = metadataFileOf(path);
    if (dist) {
      edit(project).metadata.set(basename(dist), change.file?.hashes.sha256 ?? null);
      continue;
    }
    const e = edit(project);
    e.remove.push(basename(path));
    if (!change.file) {
      // A removed distribution takes its metadata file with it.
      if (fileAt(`${path}.metadata`)) out.set(`${path}.metadata`, { file: null, removal: {} });
      continue;
    }
    const meta = fileAt(`${path}.metadata`);
    e.add.push({
      filename: basename(path),
      url: fileUrl(path),
      hashes: { sha256: change.file.hashes.sha256! },
      size: change.file.length,
      uploadTime: new Date(now).toISOString(),
      ...(meta && { coreMetadata: { sha256: meta.hashes.sha256! } }),
    });
  }

  for (const [project, e] of edits) {
    const paths = pageTargetPaths(project);
    const before = view.get(paths.json);
    let page = await signedPage(content, before);
    const listed = new Map((page?.files ?? []).map((f) => [f.filename, f]));
    page = withFiles(page, project, e.add, e.remove);
    for (const [filename, sha256] of e.metadata) {
      if (!page) break;
      const file = page.files.find((f) => f.filename === filename);
      if (sha256) page = withCoreMetadata(page, filename, sha256);
      else if (file?.coreMetadata) page = withFiles(page, project, [{ ...file, coreMetadata: undefined }], [filename]);
    }
    if (page === null && listed.size === 0) continue;
    const serial = Math.max(...[before, view.get(paths.html)].map((v) => (v?.current && serialOf(v.current)) ?? v?.removed?.serial ?? 0)) + 1;
    if (page === null) {
      const removal: Removal = { serial };
      out.set(paths.html, { file: null, removal });
      out.set(paths.json, { file: null, removal });
      continue;
    }
    const rendered = renderPages(page);
    for (const format of ["html", "json"] as const) {
      const stored = await content.put(rendered[format]);
      if (view.get(paths[format])?.current?.hashes.sha256 === stored.sha256) continue;
      out.set(paths[format], { file: entryFor(stored.length, { sha256: stored.sha256 }, undefined, serial) });
    }
  }
  return out;
}
