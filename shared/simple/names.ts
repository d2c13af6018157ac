import { parseVersion } from "./version.js";

/** PEP 503 normalization: runs of `-`, `_`, `.` become one `-`, then lower case. */
export const normalizeProject = (name: string): string => name.replace(/[-_.]+/g, "-").toLowerCase();

/** A valid project name (PEP 508 / core metadata `Name`): ASCII letters, digits, `-_.` inside. */
export const PROJECT_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;

export const isProjectName = (name: string): boolean => PROJECT_NAME.test(name);

/** What a distribution file name says (binary distribution format spec; PEP 625 and legacy sdists). */
export interface DistFilename {
  /** Normalized (PEP 503). */
  readonly project: string;
  readonly version: string;
  readonly kind: "wheel" | "sdist";
}

// Wheel file name components: the name has `-` escaped as `_`; tags may be compressed (`py2.py3`).
const WHEEL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$/;
const WHEEL_VERSION = /^[A-Za-z0-9_.!+]+$/;
const WHEEL_BUILD = /^[0-9][A-Za-z0-9_.]*$/;
const WHEEL_TAG = /^[A-Za-z0-9_.]+$/;
const SDIST_SUFFIXES = [".tar.gz", ".zip"] as const;
/** What a legacy sdist version must look like when it is not PEP 440: starts with a digit, no odd characters. */
const LEGACY_VERSION = /^v?[0-9][A-Za-z0-9_.!+-]*$/i;

/**
 * The project, version and kind a distribution file name states; null when it names none (the caller
 * refuses such a file with a reason). Only a basename of ASCII letters, digits and `-_.!+` passes.
 */
export function parseDistFilename(filename: string): DistFilename | null {
  if (filename.endsWith(".whl")) return parseWheel(filename.slice(0, -4));
  const suffix = SDIST_SUFFIXES.find((s) => filename.endsWith(s));
  return suffix ? parseSdist(filename.slice(0, -suffix.length)) : null;
}

function parseWheel(stem: string): DistFilename | null {
  const parts = stem.split("-");
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [name, version] = parts as [string, string];
  const tags = parts.slice(-3);
  if (!WHEEL_NAME.test(name) || !WHEEL_VERSION.test(version)) return null;
  if (parts.length === 6 && !WHEEL_BUILD.test(parts[2]!)) return null;
  if (!tags.every((t) => WHEEL_TAG.test(t))) return null;
  return { project: normalizeProject(name), version, kind: "wheel" };
}

/**
 * `{name}-{version}`. PEP 625 names have no `-` in the name; legacy ones may, so the split is at
 * the first `-` whose rest is a PEP 440 version (`foo-bar-1.0`, `foo-1.0-2`), else at the last `-`
 * whose rest at least starts with a digit (`foo-2.0.x`).
 */
function parseSdist(stem: string): DistFilename | null {
  const dashes: number[] = [];
  for (let i = stem.indexOf("-"); i >= 0; i = stem.indexOf("-", i + 1)) dashes.push(i);
  const split =
    dashes.find((i) => parseVersion(stem.slice(i + 1)) !== null) ??
    [...dashes].reverse().find((i) => LEGACY_VERSION.test(stem.slice(i + 1)));
  if (split === undefined) return null;
  const name = stem.slice(0, split);
  const version = stem.slice(split + 1);
  if (!isProjectName(name) || !LEGACY_VERSION.test(version)) return null;
  return { project: normalizeProject(name), version, kind: "sdist" };
}

const METADATA_OF = /\.(?:whl|tar\.gz|zip)\.metadata$/;

/** PEP 658: the distribution a `{dist}.metadata` path belongs to (the path without `.metadata`), else null. */
export function metadataFileOf(path: string): string | null {
  return METADATA_OF.test(path) ? path.slice(0, -".metadata".length) : null;
}

/**
 * The project a distribution path (or its PEP 658 `.metadata`) belongs to, from its file name; null
 * when it names none: in render mode such a file cannot be listed on a page, and is refused.
 */
export function projectOfDistPath(path: string): string | null {
  const file = metadataFileOf(path) ?? path;
  return parseDistFilename(file.slice(file.lastIndexOf("/") + 1))?.project ?? null;
}

/** PEP 691's TUF target names of a project's two pages (project normalized here). */
export function pageTargetPaths(project: string): { html: string; json: string } {
  const p = normalizeProject(project);
  return { html: `simple/${p}/vnd.pypi.simple.v1.html`, json: `simple/${p}/vnd.pypi.simple.v1.json` };
}

const PAGE_PATH = /^simple\/([^/]+)\/vnd\.pypi\.simple\.v1\.(html|json)$/;

/** The project and format a page target path names, or null (the inverse of pageTargetPaths). */
export function parsePageTargetPath(path: string): { project: string; format: "html" | "json" } | null {
  const m = PAGE_PATH.exec(path);
  if (!m || !isProjectName(m[1]!) || normalizeProject(m[1]!) !== m[1]) return null;
  return { project: m[1]!, format: m[2] as "html" | "json" };
}
