import { Delegations, DelegatedRole, Targets } from "../metadata/targets.js";
import type { Key } from "../keys.js";
import { type Claim, CLAIMED, claimsRole } from "./layout.js";
import { FILE_SHAPES, filePrefixes } from "./patterns.js";

/**
 * `claimed` split into parts by the first characters of file names. One role listing 100,000
 * project delegations would be tens of megabytes, past the 5,000,000 bytes clients accept for a
 * targets role, and a client downloads every role it walks through. So `claimed` delegates
 * (non-terminating) to parts `claimed-<prefix>`, each covering the file names that start with its
 * prefix and holding at most `maxPerPart` claims, split further where names crowd (`py`). A client
 * looking a file up downloads claimed, one part, then the project's role.
 *
 * Prefixes are FOLDED: case is ignored and `-`, `_`, `.` are one character (written `_`), so
 * `Django-1.0.tar.gz`, `django-2.0.tar.gz` and the page `simple/django/` fall in one part.
 */
export const DEFAULT_MAX_PER_PART = 1000;
/**
 * Deeper than this, a part holds whatever is left. Crowded starts are long (`django-`, `types-`),
 * and a split with one group only lengthens the prefix, so depth costs nothing but the name.
 */
const MAX_PREFIX = 32;

export const fold = (text: string): string => text.toLowerCase().replace(/[-_.]/g, "_");

/**
 * A part's name, from its first prefix: `claimed-dj`, `claimed-py_` (`_` standing for any of `-_.`);
 * the root part is `claimed-all`.
 */
export const partName = (prefix: string): string => `${CLAIMED}-${prefix || "all"}`;

/** The glob of file names whose folded form starts with `prefix`: `dj` → `[dD][jJ]*`. */
function foldedGlob(prefix: string): string {
  const chars = [...prefix].map((c) => (c === "_" ? "[-_.]" : /[a-z]/.test(c) ? `[${c}${c.toUpperCase()}]` : c));
  return `${chars.join("")}*`;
}

/**
 * A part's paths: its file names under every shape, and (when one of its claims signs its pages) the
 * pages. Page names are normalized (lower case, `-`), so a prefix ending in `_` covers the exact name
 * before it too.
 */
export function partPatterns(prefix: string, shapes: readonly string[] = FILE_SHAPES, withPages = true): string[] {
  const files = shapes.map((dir) => `${dir}/${foldedGlob(prefix)}`);
  if (!withPages) return files;
  const page = prefix.replace(/_/g, "-");
  const pages = prefix.endsWith("_") ? [`simple/${page.slice(0, -1)}/*`, `simple/${page}*/*`] : [`simple/${page}*/*`];
  return [...files, ...pages];
}

/**
 * A part's folded prefixes, read back from its patterns (`packages/*\/[dD][jJ]*` → `dj`): a file
 * name is under the part's globs exactly when its folded form starts with one of them (and its
 * directory has a shape the part lists). The inverse of partPatterns.
 */
export const prefixesOfPart = (paths: readonly string[]): string[] => [
  ...new Set(
    paths
      .filter((p) => p.startsWith("packages/"))
      .map((p) => p.slice(p.lastIndexOf("/") + 1).replace(/\*$/, "").replace(/\[-_\.\]/g, "_").replace(/\[(\w)\w\]/g, "$1")),
  ),
];

interface Entry {
  readonly key: string;
  readonly claim: Claim;
}

interface Leaf {
  /** Disjoint folded prefixes: the part covers file names starting with any of them. */
  readonly prefixes: string[];
  readonly entries: Entry[];
}

const claimCount = (entries: readonly Entry[]) => new Set(entries.map((e) => e.claim)).size;

/**
 * Splits the entries by their next character until each part holds at most `max` claims, and packs
 * neighbouring small groups back into one part: a node of 1,001 claims becomes two parts, not 36
 * (fewer parts keep `claimed` itself small; a part lists one set of patterns per prefix).
 */
function split(prefix: string, entries: Entry[], max: number): Leaf[] {
  // A key that ends here (a project named exactly the prefix) cannot go deeper.
  if (claimCount(entries) <= max || prefix.length >= MAX_PREFIX || entries.some((e) => e.key.length === prefix.length)) return [{ prefixes: [prefix], entries }];
  const groups = new Map<string, Entry[]>();
  for (const e of entries) {
    const next = prefix + e.key[prefix.length];
    const group = groups.get(next);
    if (group) group.push(e);
    else groups.set(next, [e]);
  }
  const leaves: Leaf[] = [];
  let open: Leaf | null = null;
  for (const [p, list] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (claimCount(list) > max) {
      open = null;
      leaves.push(...split(p, list, max));
    } else if (open && claimCount(open.entries) + claimCount(list) <= max) {
      open.prefixes.push(p);
      open.entries.push(...list);
    } else {
      open = { prefixes: [p], entries: [...list] };
      leaves.push(open);
    }
  }
  return leaves;
}

export interface ClaimedPlan {
  /** `claimed` itself: delegations to the parts. */
  readonly claimed: Targets;
  /** The parts by name, each delegating to its claims. */
  readonly parts: ReadonlyMap<string, Targets>;
}

/**
 * `claimed` and its parts for these claims, all signed by the offline keys. A claim with legacy
 * spellings that fold apart (`a.b` and `a__b`) may sit in two parts: both delegate to it alike.
 */
export function planClaimed(
  claims: readonly Claim[],
  keys: { offline: readonly Key[]; threshold: number },
  version: number,
  expires: number,
  { maxPerPart = DEFAULT_MAX_PER_PART, shapes = FILE_SHAPES }: { maxPerPart?: number; shapes?: readonly string[] } = {},
): ClaimedPlan {
  // Each file name prefix of a claim is a key (`demo-` → `demo_`); a namespace `azure` → `azure_`.
  const entries = claims.flatMap((claim) => [...new Set(filePrefixes(claim).map(fold))].map((key) => ({ key, claim })));
  // A page is at the normalized name, whose folded form is the canonical prefix's: the same part.
  const leaves = split("", entries, maxPerPart);
  const parts = new Map<string, Targets>();
  const roles: DelegatedRole[] = [];
  for (const leaf of leaves) {
    const name = partName(leaf.prefixes[0]!);
    parts.set(name, claimsRole([...new Set(leaf.entries.map((e) => e.claim))], version, expires, shapes));
    // Page patterns only where a claim signs its pages: most parts need none, and claimed stays smaller.
    const pages = leaf.entries.some((e) => e.claim.pages);
    const paths = leaf.prefixes.flatMap((p) => partPatterns(p, shapes, pages));
    roles.push(new DelegatedRole(name, keys.offline.map((k) => k.keyid), keys.threshold, false, paths));
  }
  const keyMap = Object.fromEntries(keys.offline.map((k) => [k.keyid, k]));
  return { claimed: new Targets({ version, expires, delegations: new Delegations(keyMap, roles) }), parts };
}
