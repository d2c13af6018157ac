/**
 * A PEP 440 version order, for the `versions` list of a project page (PEP 700). It follows
 * `packaging.version` (epoch, release without trailing zeros, pre, post, dev, local); strings that
 * are not PEP 440 ("legacy" versions, still on old pages) sort before every valid one, lexically.
 */

// packaging's VERSION_PATTERN, case-insensitive, with the optional leading "v".
const PEP440 = new RegExp(
  "^v?" +
    "(?:(?<epoch>[0-9]+)!)?" +
    "(?<release>[0-9]+(?:\\.[0-9]+)*)" +
    "(?<pre>[-_.]?(?<preL>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<preN>[0-9]+)?)?" +
    "(?<post>(?:-(?<postN1>[0-9]+))|(?:[-_.]?(?<postL>post|rev|r)[-_.]?(?<postN2>[0-9]+)?))?" +
    "(?<dev>[-_.]?dev[-_.]?(?<devN>[0-9]+)?)?" +
    "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?$",
  "i",
);

/** A parsed version: numbers are kept as digit strings (they may exceed 2^53). */
export interface Pep440Version {
  readonly epoch: string;
  readonly release: readonly string[];
  /** [rank of a/b/rc, number] */
  readonly pre: readonly [number, string] | null;
  readonly post: string | null;
  readonly dev: string | null;
  readonly local: readonly string[] | null;
}

const PRE_RANK: Record<string, number> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

export function parseVersion(text: string): Pep440Version | null {
  const m = PEP440.exec(text);
  if (!m?.groups) return null;
  const g = m.groups;
  const release = g.release!.split(".").map(trimZeros);
  while (release.length > 1 && release[release.length - 1] === "0") release.pop();
  return {
    epoch: trimZeros(g.epoch ?? "0"),
    release,
    pre: g.preL ? [PRE_RANK[g.preL.toLowerCase()]!, trimZeros(g.preN ?? "0")] : null,
    post: g.post ? trimZeros(g.postN1 ?? g.postN2 ?? "0") : null,
    dev: g.dev ? trimZeros(g.devN ?? "0") : null,
    local: g.local ? g.local.toLowerCase().split(/[-_.]/) : null,
  };
}

function trimZeros(digits: string): string {
  const t = digits.replace(/^0+/, "");
  return t === "" ? "0" : t;
}

/** Numeric order of two digit strings without leading zeros. */
const compareDigits = (a: string, b: string) => (a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0);

function compareRelease(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = compareDigits(a[i] ?? "0", b[i] ?? "0");
    if (d) return d;
  }
  return 0;
}

// packaging's _cmpkey, as ranks: -1 sorts before any value, +1 after any value.
type Slot = { readonly rank: -1 | 0 | 1; readonly value?: string; readonly preRank?: number };

function preSlot(v: Pep440Version): Slot {
  // 1.0.dev0 sorts before 1.0a0: a dev release with neither pre nor post takes the lowest slot.
  if (!v.pre && !v.post && v.dev) return { rank: -1 };
  if (!v.pre) return { rank: 1 };
  return { rank: 0, preRank: v.pre[0], value: v.pre[1] };
}

function compareSlots(a: Slot, b: Slot): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.rank !== 0) return 0;
  if ((a.preRank ?? 0) !== (b.preRank ?? 0)) return (a.preRank ?? 0) - (b.preRank ?? 0);
  return compareDigits(a.value!, b.value!);
}

const postSlot = (v: Pep440Version): Slot => (v.post === null ? { rank: -1 } : { rank: 0, value: v.post });
const devSlot = (v: Pep440Version): Slot => (v.dev === null ? { rank: 1 } : { rank: 0, value: v.dev });

function compareLocal(a: readonly string[] | null, b: readonly string[] | null): number {
  if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const xNum = /^[0-9]+$/.test(x);
    const yNum = /^[0-9]+$/.test(y);
    // PEP 440: numeric segments sort after alphanumeric ones, and compare as numbers.
    if (xNum !== yNum) return xNum ? 1 : -1;
    const d = xNum ? compareDigits(trimZeros(x), trimZeros(y)) : x < y ? -1 : x > y ? 1 : 0;
    if (d) return d;
  }
  return 0;
}

export function comparePep440(a: Pep440Version, b: Pep440Version): number {
  return (
    compareDigits(a.epoch, b.epoch) ||
    compareRelease(a.release, b.release) ||
    compareSlots(preSlot(a), preSlot(b)) ||
    compareSlots(postSlot(a), postSlot(b)) ||
    compareSlots(devSlot(a), devSlot(b)) ||
    compareLocal(a.local, b.local)
  );
}

const lexical = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Total order of version strings: legacy (non-PEP 440) first, then PEP 440 order; equal versions
 * spelled differently ("1.0", "1.0.0") are ordered lexically, so a sort is a pure function of its set.
 */
export function compareVersions(a: string, b: string): number {
  const va = parseVersion(a);
  const vb = parseVersion(b);
  if (!va || !vb) return va === vb ? lexical(a, b) : va ? 1 : -1;
  return comparePep440(va, vb) || lexical(a, b);
}

/** Distinct versions in compareVersions order; each is parsed once (pages list thousands). */
export function sortVersions(versions: Iterable<string>): string[] {
  const keyed = [...new Set(versions)].map((text) => ({ text, parsed: parseVersion(text) }));
  keyed.sort((a, b) => {
    if (!a.parsed || !b.parsed) return a.parsed === b.parsed ? lexical(a.text, b.text) : a.parsed ? 1 : -1;
    return comparePep440(a.parsed, b.parsed) || lexical(a.text, b.text);
  });
  return keyed.map((k) => k.text);
}
