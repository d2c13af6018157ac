import { sha256HexNative } from "../../shared/encoding.js";
import { FieldError } from "../../shared/errors.js";
import type { TargetFile } from "../../shared/metadata/files.js";
import { type Removal, entryFor, serialOf } from "../../shared/mutable.js";
import {
  PageRefusal, type ProjectPage, addDist, distOfCompanion, metadataFileOf, pageTargetPaths, parseJsonPage, parsePageTargetPath, projectOf,
  provenanceFileOf, removeDist, renderPages, setCoreMetadata, setProvenance,
} from "../../shared/simple/index.js";
import type { ContentStore } from "../storage/content.js";
import type { ContentAt, StoredContent } from "./bin-work.js";
import { type Change, type Consequences, type PathView, type Upload, entryBytes, removalBytes } from "./decide.js";

/**
 * Simple pages in render mode (SIMPLE_PAGES=render, the default): tuf-edge renders each project's
 * PEP 691 pages itself and publishes them in the same commit as the distributions they list. A
 * page is rebuilt from the previously signed JSON page plus the commit's changes, never from a
 * second source of truth. Pages are mutable targets whose serial tuf-edge counts up itself.
 *
 * Each upload's page changes are made inside its own decision (PageEdits): an upload whose page
 * cannot be read or rendered, or that breaks the file-name rule (shared/simple/release.ts), is
 * rejected alone, never the batch.
 */

export type PagesMode = "render" | "index";

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
  if (provenanceFileOf(path) && serial === undefined && !fromBucket) return "is a provenance file, which gains attestations: send it with a serial";
  if (fromBucket && !projectOf(path)) return "names no project: not a wheel or sdist file name (nor its PEP 658 .metadata)";
  return null;
}

/** A page's signed JSON, or why it cannot be read (the project's uploads are then refused). */
export type LoadedPage = ProjectPage | null | Error;

/** The signed JSON page of each project, read before the decision. */
export async function loadPages(content: ContentStore, view: ReadonlyMap<string, PathView>, projects: Iterable<string>): Promise<Map<string, LoadedPage>> {
  const out = new Map<string, LoadedPage>();
  await Promise.all(
    [...projects].map(async (project) => {
      const path = pageTargetPaths(project).json;
      const sha256 = view.get(path)?.current?.hashes.sha256;
      if (!sha256) return void out.set(project, null);
      try {
        const bytes = await content.getAt(path, sha256);
        if (!bytes || sha256HexNative(bytes) !== sha256) throw new Error(`its bytes ${sha256} are not stored intact`);
        out.set(project, parseJsonPage(bytes));
      } catch (e) {
        out.set(project, e instanceof Error ? e : new Error(String(e)));
      }
    }),
  );
  return out;
}

/** The most bytes a page's entry takes in its bin (16-digit length and serial): what a new page may add. */
const pageEntryBound = (path: string) => entryBytes(path, entryFor(2 ** 53 - 1, { sha256: "0".repeat(64) }, undefined, 2 ** 53 - 1));

/** The batch's project pages as its accepted uploads leave them; an upload's edits are checked before they are kept. */
export class PageEdits implements Consequences {
  private readonly pages = new Map<string, ProjectPage | null>();
  private readonly counted = new Set<string>();

  constructor(
    private readonly loaded: ReadonlyMap<string, LoadedPage>,
    private readonly view: ReadonlyMap<string, PathView>,
    /** Uploads whose changes re-render pages (releases; not bulk imports). */
    private readonly rendered: (u: Upload) => boolean,
    private readonly now: number,
  ) {}

  check(u: Upload, changes: ReadonlyMap<string, Change>, at: (path: string) => PathView) {
    const local = new Map<string, ProjectPage | null>();
    const refused = new Map<string, string>();
    const growth = new Map<string, number>();
    const keep = () => {
      for (const [project, page] of local) this.pages.set(project, page);
    };
    if (!this.rendered(u)) return { refused, growth, keep };
    const fileAt = (path: string): TargetFile | null => (changes.has(path) ? changes.get(path)!.file : at(path).current);
    // Distributions first, so a .metadata or .provenance in the same upload finds its dist listed.
    const ordered = [...changes].sort(([a], [b]) => Number(distOfCompanion(a) !== null) - Number(distOfCompanion(b) !== null));
    for (const [path, change] of ordered) {
      const project = projectOf(path);
      if (!project) continue;
      const page = local.has(project) ? local.get(project)! : this.pageOf(project);
      if (page instanceof Error) {
        refused.set(path, `the signed page of ${project} cannot be read (${page.message}): its uploads wait for an operator`);
        continue;
      }
      try {
        local.set(project, this.edit(page, project, path, change.file, fileAt));
      } catch (e) {
        if (!(e instanceof PageRefusal || e instanceof FieldError)) throw e;
        refused.set(path, e instanceof FieldError ? `cannot be listed on the page of ${project}: ${e.message}` : e.message);
      }
    }
    for (const project of local.keys()) {
      if (this.counted.has(project)) continue;
      for (const path of Object.values(pageTargetPaths(project))) {
        const { bin, current, removed } = this.view.get(path)!;
        const now = pageEntryBound(path) - (current ? entryBytes(path, current) : removed ? removalBytes(path, removed) : 0);
        growth.set(bin, (growth.get(bin) ?? 0) + Math.max(0, now));
      }
    }
    return {
      refused,
      growth,
      keep: () => {
        keep();
        for (const project of local.keys()) this.counted.add(project);
      },
    };
  }

  /** The project's page is rebuilt from nothing: a newly claimed project lists only what its role signs (PEP 480). */
  startAfresh(project: string): void {
    this.pages.set(project, null);
  }

  private pageOf(project: string): LoadedPage {
    return this.pages.has(project) ? this.pages.get(project)! : (this.loaded.get(project) ?? null);
  }

  private edit(page: ProjectPage | null, project: string, path: string, file: TargetFile | null, fileAt: (p: string) => TargetFile | null) {
    const dist = metadataFileOf(path);
    if (dist) return setCoreMetadata(page, project, dist, file?.hashes.sha256 ?? null);
    const attested = distOfCompanion(path);
    if (attested) return setProvenance(page, project, attested, file !== null);
    if (!file) return removeDist(page, project, path);
    const meta = fileAt(`${path}.metadata`);
    const added = addDist(page, project, path, {
      hashes: { sha256: file.hashes.sha256! },
      size: file.length,
      uploadTime: new Date(this.now).toISOString(),
      ...(meta && { coreMetadata: { sha256: meta.hashes.sha256! } }),
    });
    return fileAt(`${path}.provenance`) ? setProvenance(added, project, path, true) : added;
  }

  /**
   * The page changes that follow the accepted uploads: both pages of each touched project
   * re-rendered (or removed when no file is left), their bytes stored at their path before any bin
   * names them; and the .metadata of each removed distribution removed with it.
   */
  async render(
    storeContent: (items: readonly ContentAt[]) => Promise<StoredContent[]>,
    changes: ReadonlyMap<string, Change>,
    fileAt: (path: string) => TargetFile | null,
  ): Promise<Map<string, Change>> {
    const out = new Map<string, Change>();
    for (const [path, change] of changes) {
      if (change.file || distOfCompanion(path) || !projectOf(path)) continue;
      if (fileAt(`${path}.metadata`) && !changes.has(`${path}.metadata`)) out.set(`${path}.metadata`, { file: null, removal: {} });
      // A mutable target keeps its serial when removed, so no late attestation brings it back.
      const provenance = fileAt(`${path}.provenance`);
      if (provenance && !changes.has(`${path}.provenance`)) out.set(`${path}.provenance`, { file: null, removal: { serial: serialOf(provenance) ?? 0 } });
    }
    const writes: { path: string; bytes: Uint8Array; serial: number }[] = [];
    for (const [project, page] of this.pages) {
      if (page === this.loaded.get(project)) continue; // edits that changed nothing
      const paths = pageTargetPaths(project);
      const before = this.view.get(paths.json);
      const existed = before?.current ?? this.view.get(paths.html)?.current;
      if (page === null && !existed) continue;
      const serial = Math.max(...[before, this.view.get(paths.html)].map((v) => (v?.current && serialOf(v.current)) ?? v?.removed?.serial ?? 0)) + 1;
      if (page === null) {
        const removal: Removal = { serial };
        out.set(paths.html, { file: null, removal });
        out.set(paths.json, { file: null, removal });
        continue;
      }
      const rendered = renderPages(page);
      for (const format of ["html", "json"] as const) writes.push({ path: paths[format], bytes: rendered[format], serial });
    }
    // Stored before any bin names them: all at once, or fanned out to the writer's shards.
    const stored = await storeContent(writes);
    writes.forEach(({ path, serial }, i) => {
      const { sha256, length } = stored[i]!;
      if (this.view.get(path)?.current?.hashes.sha256 !== sha256) out.set(path, { file: entryFor(length, { sha256 }, undefined, serial) });
    });
    return out;
  }
}
