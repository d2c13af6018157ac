import { FieldError } from "../errors.js";
import { fromUtf8, isHex } from "../encoding.js";
import { type JsonObject, readInt, readObject, readString, readStringArray } from "../json.js";
import { isProjectName, normalizeProject, parseDistFilename } from "./names.js";
import { sortVersions } from "./version.js";

/** One file of a project page (PEP 691 JSON v1.1 with PEP 700, PEP 658/714). */
export interface PageFile {
  /** Basename. */
  readonly filename: string;
  /** `../../targets/` + the per-segment percent-encoded target path: relative to /simple/{p}/, so the page is host-independent. */
  readonly url: string;
  readonly hashes: { readonly sha256: string };
  /** PEP 700 `size`. */
  readonly size: number;
  /** PEP 700 `upload-time`, ISO 8601 in UTC with `Z`. */
  readonly uploadTime: string;
  /** PEP 658/714: rendered as both `core-metadata` and `data-dist-info-metadata`. */
  readonly coreMetadata?: { readonly sha256: string };
  readonly requiresPython?: string;
  /** PEP 592; true or the reason. False is the same as absent. */
  readonly yanked?: boolean | string;
  /** PEP 740: the URL of the file's provenance (its signed `.provenance` target), relative like `url`. */
  readonly provenance?: string;
}

export interface ProjectPage {
  /** Normalized (PEP 503). */
  readonly name: string;
  /** Sorted by filename. */
  readonly files: readonly PageFile[];
  /** PEP 700, in version order. */
  readonly versions: readonly string[];
  /**
   * File names removed from the project, sorted: never listed again (PyPI's rule). Kept in the JSON
   * page under `_removed-files` (PEP 691 reserves `_` keys for the index), so the rule outlives the entry.
   */
  readonly removed?: readonly string[];
}

/** The JSON page's key for the file names removed from the project (PEP 691: `_` keys are the index's own). */
export const REMOVED_FILES = "_removed-files";

/** The page URL of a target: relative to `/simple/{project}/`, each path segment percent-encoded. */
export const fileUrl = (targetPath: string): string => `../../targets/${targetPath.split("/").map(encodeURIComponent).join("/")}`;

const UPLOAD_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z$/;
// Page strings end up in HTML attributes and in pip's logs: no control characters at all.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const MAX_STRING = 1024;
/** A page URL: `../../targets/` and a target path of up to 1,024 bytes, each byte percent-encoded at worst. */
export const MAX_URL = "../../targets/".length + 3 * 1024;
/** Files one page lists, and file names it remembers as removed: each release re-renders the whole page. */
export const MAX_PAGE_FILES = 10_000;
export const MAX_REMOVED_FILES = 20_000;

function checkText(value: string, field: string, max = MAX_STRING): string {
  if (value.length > max) throw new FieldError(field, `must be at most ${max} characters`);
  if (CONTROL.test(value)) throw new FieldError(field, "must not contain control characters");
  return value;
}

function checkSha256(value: unknown, field: string): string {
  if (typeof value !== "string" || !isHex(value, 64)) throw new FieldError(field, "must be 64 lowercase hex digits");
  return value;
}

/** Validates a file as it would be signed; returns it in canonical form (no `yanked: false`, no extra keys). */
export function checkPageFile(file: PageFile, field: string): PageFile {
  const filename = checkText(String(file.filename), `${field}.filename`);
  if (filename === "" || filename === "." || filename === ".." || /[/\\]/.test(filename)) {
    throw new FieldError(`${field}.filename`, "must be a file name (no / or \\)");
  }
  const url = checkText(String(file.url), `${field}.url`, MAX_URL);
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url);
  if (url === "" || /\s/.test(url) || (scheme && !/^https?$/i.test(scheme[1]!))) {
    throw new FieldError(`${field}.url`, "must be a relative or http(s) URL without spaces");
  }
  if (!Number.isSafeInteger(file.size) || file.size < 0) throw new FieldError(`${field}.size`, "must be a non-negative integer");
  if (typeof file.uploadTime !== "string" || !UPLOAD_TIME.test(file.uploadTime)) {
    throw new FieldError(`${field}.upload-time`, "must be ISO 8601 in UTC (YYYY-MM-DDThh:mm:ss[.ffffff]Z)");
  }
  const out: { -readonly [K in keyof PageFile]: PageFile[K] } = {
    filename,
    url,
    hashes: { sha256: checkSha256(file.hashes?.sha256, `${field}.hashes.sha256`) },
    size: file.size,
    uploadTime: file.uploadTime,
  };
  if (file.coreMetadata !== undefined) out.coreMetadata = { sha256: checkSha256(file.coreMetadata?.sha256, `${field}.core-metadata.sha256`) };
  if (file.requiresPython !== undefined) out.requiresPython = checkText(String(file.requiresPython), `${field}.requires-python`);
  if (file.provenance !== undefined) out.provenance = checkText(String(file.provenance), `${field}.provenance`, MAX_URL + ".provenance".length);
  if (typeof file.yanked === "string") out.yanked = checkText(file.yanked, `${field}.yanked`);
  else if (file.yanked === true) out.yanked = true;
  else if (file.yanked !== undefined && file.yanked !== false) throw new FieldError(`${field}.yanked`, "must be a boolean or a string");
  return out;
}

const byFilename = (a: PageFile, b: PageFile) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0);

/**
 * The page of `project` after adding `add` and removing `removeFilenames` (removals first, so a
 * file may be replaced in one call). A file added under a listed filename replaces it. Versions
 * are derived from the file names, so the page is a pure function of its final file set. Null when
 * no file remains: the project's pages are then removed. Throws a FieldError for an added file that
 * is invalid or whose name states another project.
 */
export function withFiles(
  page: ProjectPage | null,
  project: string,
  add: readonly PageFile[],
  removeFilenames: readonly string[],
): ProjectPage | null {
  if (!isProjectName(project)) throw new FieldError("name", "is not a valid project name");
  const name = normalizeProject(project);
  if (page && page.name !== name) throw new FieldError("name", `the page is of ${page.name}, not ${name}`);
  const files = new Map((page?.files ?? []).map((f) => [f.filename, f]));
  for (const filename of removeFilenames) files.delete(filename);
  add.forEach((file, i) => {
    const checked = checkPageFile(file, `add[${i}]`);
    const dist = parseDistFilename(checked.filename);
    if (dist?.project !== name) throw new FieldError(`add[${i}].filename`, `is not a distribution of ${name}`);
    files.set(checked.filename, checked);
  });
  if (files.size === 0) return null;
  if (files.size > MAX_PAGE_FILES) throw new FieldError("files", `would list ${files.size} files, past the bound of ${MAX_PAGE_FILES} a page may hold`);
  const sorted = [...files.values()].sort(byFilename);
  const versions = sortVersions(sorted.flatMap((f) => parseDistFilename(f.filename)?.version ?? []));
  return { name, files: sorted, versions, ...(page?.removed?.length ? { removed: page.removed } : {}) };
}

/**
 * PEP 658: the page with `coreMetadata` set on `distFilename`; the same page when it does not list
 * that file (its metadata arrived first: attach it when the distribution comes).
 */
export function withCoreMetadata(page: ProjectPage, distFilename: string, sha256: string): ProjectPage {
  checkSha256(sha256, "sha256");
  if (!page.files.some((f) => f.filename === distFilename)) return page;
  const files = page.files.map((f) => (f.filename === distFilename ? { ...f, coreMetadata: { sha256 } } : f));
  return { ...page, files };
}

function readCoreMetadata(o: JsonObject, key: string, field: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === false || v === null) return undefined;
  // PEP 714 allows `true` (metadata present, hash unknown); a page we re-render must state the hash.
  return checkSha256(readObject(v, `${field}.${key}`).sha256, `${field}.${key}.sha256`);
}

function readPageFile(value: unknown, field: string): PageFile {
  const o = readObject(value, field);
  const hashes = readObject(o.hashes, `${field}.hashes`);
  const core = readCoreMetadata(o, "core-metadata", field);
  const legacy = readCoreMetadata(o, "data-dist-info-metadata", field);
  if (legacy !== undefined && core !== undefined && legacy !== core) {
    throw new FieldError(`${field}.data-dist-info-metadata`, "must agree with core-metadata");
  }
  const requiresPython = o["requires-python"];
  if (requiresPython !== undefined && requiresPython !== null && typeof requiresPython !== "string") {
    throw new FieldError(`${field}.requires-python`, "must be a string");
  }
  const yanked = o.yanked;
  if (yanked !== undefined && typeof yanked !== "boolean" && typeof yanked !== "string") {
    throw new FieldError(`${field}.yanked`, "must be a boolean or a string");
  }
  const provenance = o.provenance;
  if (provenance !== undefined && provenance !== null && typeof provenance !== "string") throw new FieldError(`${field}.provenance`, "must be a URL or null");
  const file: PageFile = {
    filename: readString(o, "filename", field),
    url: readString(o, "url", field),
    hashes: { sha256: checkSha256(hashes.sha256, `${field}.hashes.sha256`) },
    size: readInt(o, "size", field),
    uploadTime: readString(o, "upload-time", field),
    ...(core ?? legacy ? { coreMetadata: { sha256: (core ?? legacy)! } } : {}),
    ...(typeof requiresPython === "string" ? { requiresPython } : {}),
    ...(yanked !== undefined ? { yanked } : {}),
    ...(typeof provenance === "string" ? { provenance } : {}),
  };
  return checkPageFile(file, field);
}

/**
 * Strict parse of a project page signed earlier (PEP 691 JSON, API version 1.x with PEP 700's
 * `size`, `upload-time` and `versions`). Unknown keys are ignored, as PEP 691 asks of clients.
 */
export function parseJsonPage(bytes: Uint8Array): ProjectPage {
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(bytes));
  } catch {
    throw new FieldError("", "page is not UTF-8 JSON");
  }
  const o = readObject(json, "");
  const meta = readObject(o.meta, "meta");
  const apiVersion = readString(meta, "api-version", "meta");
  if (!/^1\.[1-9][0-9]*$/.test(apiVersion)) throw new FieldError("meta.api-version", "must be 1.1 or a later 1.x (PEP 700)");
  const name = readString(o, "name", "");
  if (!isProjectName(name) || name !== normalizeProject(name)) throw new FieldError("name", "must be a normalized project name");
  if (!Array.isArray(o.files)) throw new FieldError("files", "must be an array");
  const files = o.files.map((f, i) => readPageFile(f, `files[${i}]`));
  const seen = new Set<string>();
  files.forEach((f, i) => {
    if (seen.has(f.filename)) throw new FieldError(`files[${i}].filename`, "is listed twice");
    seen.add(f.filename);
  });
  const versions = readStringArray(o, "versions", "").map((v, i) => checkText(v, `versions[${i}]`));
  const removed = o[REMOVED_FILES] === undefined ? [] : readStringArray(o, REMOVED_FILES, "").map((v, i) => checkText(v, `${REMOVED_FILES}[${i}]`));
  return { name, files: files.sort(byFilename), versions: sortVersions(versions), ...(removed.length ? { removed: [...removed].sort() } : {}) };
}
