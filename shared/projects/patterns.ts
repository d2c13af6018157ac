import { globMatches } from "../metadata/targets.js";
import { projectOf } from "../simple/release.js";
import { isProjectName, normalizeProject, parsePageTargetPath } from "../simple/names.js";
import { ProjectRefusal } from "./refusal.js";

/**
 * Path patterns of a claim (PEP 480, adapted to tuf-edge's paths). A claim covers a project's files
 * by their FILE NAME, not their directory: PyPI's paths are `packages/ab/cd/<hash>/<filename>`, so
 * only the last segment says whose file it is. TUF globs match one `/`-segment at a time and need
 * equal segment counts (tuf-js: minimatch per segment; python-tuf: fnmatch per segment), so each
 * file name pattern is repeated under every directory shape the index publishes files at.
 */

/**
 * The directory shapes of distributions: `packages/<dir>/<file>` (tuf-edge's quick start) and
 * `packages/<a>/<b>/<c>/<file>` (PyPI's `packages/ab/cd/<hash>/`, and old PyPI's
 * `packages/source/D/Django/`). A file of a claimed project at another depth is outside its claim:
 * the index must publish dists only at these shapes (see isClaimableShape).
 */
export const FILE_SHAPES: readonly string[] = ["packages/*", "packages/*/*/*"];

/** PEP 691's page targets live at `simple/<project>/vnd.pypi.simple.v1.{html,json}`. */
const PAGES = "simple";

/** Characters our glob matcher, minimatch and fnmatch read alike: literals, `*`, `?`, plain `[...]` classes. */
const SAFE_PATTERN = /^(?:[A-Za-z0-9._/*?-]|\[[A-Za-z0-9._-]+\])+$/;

export const isSafePattern = (pattern: string): boolean => SAFE_PATTERN.test(pattern) && !pattern.split("/").includes("");

/** What modern tools write in file names: the normalized name with `_` (wheel spec, PEP 625). */
export const canonicalSpelling = (project: string): string => normalizeProject(project).replace(/-/g, "_");

/**
 * The project name exactly as a dist file name spells it (`Django` in `Django-1.0.tar.gz`), or null
 * when the name is not a dist's. Legacy files spell names in other cases and separators.
 */
export function filenameSpelling(filename: string): string | null {
  if (!projectOf(filename)) return null;
  if (filename.endsWith(".whl")) return filename.split("-")[0]!;
  // An sdist is `<name>-<version><suffix>`; projectOf split it where parseDistFilename does.
  const stem = filename.replace(/\.(tar\.gz|zip)$/, "");
  for (let i = stem.indexOf("-"); i >= 0; i = stem.indexOf("-", i + 1)) {
    if (normalizeProject(stem.slice(0, i)) === projectOf(filename)) return stem.slice(0, i);
  }
  return null;
}

/**
 * The spellings a project's published files use other than the canonical one (`Django` in
 * `Django-1.0.tar.gz`): what a claim must list so that its old files are covered too.
 */
export function legacySpellings(project: string, published: Iterable<string>): string[] {
  const own = normalizeProject(project);
  const found = new Set<string>();
  for (const path of published) {
    const name = path.slice(path.lastIndexOf("/") + 1).replace(/\.(metadata|provenance)$/, "");
    const spelling = projectOf(name) === own ? filenameSpelling(name) : null;
    if (spelling && spelling !== canonicalSpelling(own)) found.add(spelling);
  }
  return [...found].sort();
}

/** A claim: a project (`demo`), or a PEP 752 namespace (`azure`: every project `azure-*`). */
export interface ClaimScope {
  readonly project: string;
  readonly namespace?: boolean;
  /**
   * Legacy spellings of the name in files already published (`Django`, `zope.interface`). Each
   * must normalize to the project (for a namespace: to a project under it).
   */
  readonly spellings?: readonly string[];
  /** Whether the project signs its own simple pages (else the index keeps signing them). */
  readonly pages?: boolean;
}

/** The delegated role's name: `project-demo`, `namespace-azure`. Normalized names hold no `.`, so `project-demo.win` is demo's own. */
export const claimRoleName = (scope: ClaimScope): string =>
  `${scope.namespace ? "namespace" : "project"}-${normalizeProject(scope.project)}`;

/** The scope a claim's role name stands for (claimRoleName's inverse): `project-demo`, `namespace-azure`. */
export const claimScopeOf = (name: string): ClaimScope => ({ project: name.slice(name.indexOf("-") + 1), namespace: name.startsWith("namespace-") });

/**
 * The file name prefixes a claim covers: `demo-` for demo (normalized names use `_`, so `demo-`
 * starts only demo's files, and `demo_x-` would be demo-x's), plus `Django-` style legacy
 * spellings; for a namespace `azure`, `azure_` (every `azure-*` project's files) plus legacy ones.
 */
export function filePrefixes(scope: ClaimScope): string[] {
  const project = normalizeProject(scope.project);
  if (!isProjectName(scope.project)) throw new ProjectRefusal("malformed", `${JSON.stringify(scope.project)} is not a project name`);
  const own = scope.namespace ? `${canonicalSpelling(project)}_` : `${canonicalSpelling(project)}-`;
  const legacy = (scope.spellings ?? []).map((s) => {
    const normalized = isProjectName(s) ? normalizeProject(s) : "";
    const fits = scope.namespace ? normalized.startsWith(`${project}-`) : normalized === project;
    if (!fits) throw new ProjectRefusal("malformed", `spelling ${JSON.stringify(s)} does not name ${scope.namespace ? `a project under ${project}-` : project}`);
    return `${s}-`;
  });
  return [...new Set([own, ...legacy])];
}

/** The claim's `paths`: each prefix under each file shape, then its pages if it signs them. */
export function claimPatterns(scope: ClaimScope, shapes: readonly string[] = FILE_SHAPES): string[] {
  const files = filePrefixes(scope).flatMap((prefix) => shapes.map((dir) => `${dir}/${prefix}*`));
  const project = normalizeProject(scope.project);
  const pages = scope.pages ? [`${PAGES}/${project}${scope.namespace ? "-*" : ""}/*`] : [];
  return [...files, ...pages];
}

export const matchesAny = (patterns: readonly string[], path: string): boolean => patterns.some((p) => globMatches(p, path));

/** The project a published path belongs to: a dist, its .metadata or .provenance, or a page. */
export const ownerOf = (path: string): string | null => projectOf(path) ?? parsePageTargetPath(path)?.project ?? null;

/** Whether `project` is the claim's own (for a namespace: under it). */
export function inScope(scope: ClaimScope, project: string): boolean {
  const own = normalizeProject(scope.project);
  return scope.namespace ? project.startsWith(`${own}-`) : project === own;
}

/**
 * Refuses a claim whose patterns cover a file another project published: that happens only with
 * legacy file names (`demo-bar-1.0.tar.gz` is demo-bar's, and starts with `demo-`).
 */
export function checkClaimCoversOnlyItsOwn(scope: ClaimScope, published: Iterable<string>, shapes: readonly string[] = FILE_SHAPES): void {
  const patterns = claimPatterns(scope, shapes);
  for (const path of published) {
    if (!matchesAny(patterns, path)) continue;
    const owner = ownerOf(path);
    if (owner === null || !inScope(scope, owner)) {
      throw new ProjectRefusal("covers-other-project", `the claim of ${scope.project} would cover ${path}, a file of ${owner ?? "no project"}`, path);
    }
  }
}

/** The literal start of a glob segment, before its first `*`, `?` or `[`. */
const literalPrefix = (segment: string): string => segment.slice(0, segment.search(/[*?[]|$/));
const isLiteral = (segment: string): boolean => literalPrefix(segment) === segment;
/** `L*` with L literal: what claims are made of. */
const isPrefixGlob = (segment: string): boolean => segment.endsWith("*") && isLiteral(segment.slice(0, -1));

/** Whether every path `child` matches is matched by `parent` (conservative: false when unsure). */
export function patternWithin(child: string, parent: string): boolean {
  const c = child.split("/");
  const p = parent.split("/");
  if (c.length !== p.length) return false;
  return p.every((ps, i) => {
    const cs = c[i]!;
    if (ps === "*") return true;
    if (isLiteral(ps)) return cs === ps;
    if (isPrefixGlob(ps)) return literalPrefix(cs).startsWith(ps.slice(0, -1));
    return cs === ps;
  });
}

/** Whether some path could match both (conservative: true when unsure). */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split("/");
  const y = b.split("/");
  if (x.length !== y.length) return false;
  return x.every((xs, i) => {
    const ys = y[i]!;
    const known = (s: string) => isLiteral(s) || isPrefixGlob(s);
    if (!known(xs) || !known(ys)) return true;
    const xl = literalPrefix(xs);
    const yl = literalPrefix(ys);
    if (isLiteral(xs) && isLiteral(ys)) return xs === ys;
    if (isLiteral(xs)) return xs.startsWith(yl);
    if (isLiteral(ys)) return ys.startsWith(xl);
    return xl.startsWith(yl) || yl.startsWith(xl);
  });
}

/** Refuses a claim whose patterns overlap an existing claim's (a namespace and a project in it, say). */
export function checkNoOverlap(scope: ClaimScope, others: Iterable<ClaimScope>, shapes: readonly string[] = FILE_SHAPES): void {
  const mine = claimPatterns(scope, shapes);
  for (const other of others) {
    if (claimRoleName(other) === claimRoleName(scope)) continue;
    const theirs = claimPatterns(other, shapes);
    const hit = mine.find((m) => theirs.some((t) => patternsOverlap(m, t)));
    if (hit) throw new ProjectRefusal("overlaps-claim", `the claim of ${scope.project} (${hit}) overlaps the claim of ${other.project}`, hit);
  }
}

/** The claims whose patterns cover `path`: an upload of an unclaimed project there would be unreachable. */
export const claimsCovering = (path: string, claims: Iterable<ClaimScope>, shapes: readonly string[] = FILE_SHAPES): ClaimScope[] =>
  [...claims].filter((c) => matchesAny(claimPatterns(c, shapes), path));

/** Whether a dist path has a shape claims cover (the index refuses a dist at any other depth). */
export const isClaimableShape = (path: string, shapes: readonly string[] = FILE_SHAPES): boolean =>
  shapes.some((dir) => globMatches(`${dir}/*`, path));

/**
 * A sub-delegation's patterns from a file name glob (`*-win*.whl` for the friend who builds the
 * Windows wheels): under each of the parent's file patterns `<dir>/<prefix>*`, the glob narrowed to
 * the prefix. Refused unless every result is provably within the parent.
 */
export function subPatterns(parent: readonly string[], fileGlob: string): string[] {
  if (fileGlob.includes("/") || !isSafePattern(fileGlob)) {
    throw new ProjectRefusal("malformed", `${JSON.stringify(fileGlob)} is not a file name pattern (letters, digits, . _ - * ? and [..] only, no /)`);
  }
  const out: string[] = [];
  for (const pattern of parent) {
    if (pattern.startsWith(`${PAGES}/`)) continue;
    const dir = pattern.slice(0, pattern.lastIndexOf("/"));
    const last = pattern.slice(pattern.lastIndexOf("/") + 1);
    if (!isPrefixGlob(last)) continue;
    const prefix = last.slice(0, -1);
    if (fileGlob.startsWith("*")) out.push(`${dir}/${prefix}${fileGlob}`);
    else if (fileGlob.startsWith(prefix)) out.push(`${dir}/${fileGlob}`);
  }
  const outside = out.find((c) => !parent.some((p) => patternWithin(c, p)));
  if (out.length === 0 || outside) {
    throw new ProjectRefusal("outside-parent", `${fileGlob} is not within the role's patterns (${parent.join(", ")})`, outside ?? fileGlob);
  }
  return out;
}
