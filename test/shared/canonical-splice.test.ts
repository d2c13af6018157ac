import { canonicalize as olpc } from "@tufjs/canonical-json";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../shared/canonical.js";
import { canonicalMembers } from "../../shared/canonical-scan.js";
import { CanonicalTargets, canonicalTargetsRole, scanTargetsRole } from "../../shared/canonical-targets.js";
import type { JsonObject } from "../../shared/json.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Targets } from "../../shared/metadata/targets.js";

// Splicing changed entries into a bin's canonical entries must give exactly the bytes that a full
// canonicalJson of the edited role gives (what clients re-encode and verify), on random edits with
// the string edge cases (README, "Interoperability notes"): non-ASCII BMP, U+E000–U+FFFF, quotes, backslashes, and
// keys whose UTF-16 order is tricky.

/** A small seeded PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

const PIECES = [
  "a", "b", "Z", "0", "9", "/", ".", "-", "_", " ", "packages/", ".whl", "é", "ü", "中", "ĳ", "ﬀ",
  "\u2028", "\ufeff", "\ue000", "\uf8ff", "\ufffd", "\uffff", '"', "\\", '\\"', "__proto__", "targets", "~", "\u00a0", "\u0100",
];

function randomText(r: Rng, max = 6): string {
  let s = "";
  for (let i = r.int(max) + (r.next() < 0.05 ? 0 : 1); i > 0; i--) s += r.pick(PIECES);
  return s;
}

const hex = (r: Rng, n: number) => Array.from({ length: n }, () => "0123456789abcdef"[r.int(16)]).join("");

function randomFile(r: Rng): TargetFile {
  const hashes: Record<string, string> = r.next() < 0.3 ? { sha512: hex(r, 128), sha256: hex(r, 64) } : { sha256: hex(r, 64) };
  let custom: JsonObject | undefined;
  if (r.next() < 0.3) {
    custom = {};
    for (let i = r.int(4); i >= 0; i--) custom[randomText(r, 3)] = r.next() < 0.5 ? randomText(r) : r.pick([0, -1, 7, Number.MAX_SAFE_INTEGER, true, null]);
  }
  return new TargetFile(r.int(1e9), hashes, custom);
}

function randomHead(r: Rng): Targets {
  const extra: JsonObject = {};
  // Keys that sort right around "targets" and the common fields.
  for (const key of ["targets\u00e9", "target", "targets0", "_a", "\ue000", "Targets", "u"]) if (r.next() < 0.3) extra[key] = randomText(r);
  return new Targets({ version: 1 + r.int(1000), expires: 1_700_000_000_000 + r.int(1e9) * 1000, extra, specVersion: r.pick(["1.0.31", "1.0.34"]) });
}

const roleWith = (head: Targets, targets: ReadonlyMap<string, TargetFile>) =>
  new Targets({ version: head.version, expires: head.expires, specVersion: head.specVersion, extra: head.extra, targets: new Map(targets) });

const envelope = (body: string) => `{"signatures":[{"keyid":"${"ab".repeat(32)}","sig":"${"cd".repeat(64)}"}],"signed":${body}}`;

describe("canonical splicing of a targets role", () => {
  it("equals a full canonicalJson (and the OLPC encoder) after random edits", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = prng(seed);
      const head = randomHead(r);
      const reference = new Map<string, TargetFile>();
      for (let i = r.int(40); i > 0; i--) reference.set(randomText(r), randomFile(r));
      let spliced = CanonicalTargets.fromMap(reference);
      for (let round = 0; round < 5; round++) {
        const known = [...reference.keys()];
        const changes: { path: string; file: TargetFile | null }[] = [];
        for (let i = r.int(6); i >= 0; i--) {
          const path = known.length && r.next() < 0.5 ? r.pick(known) : randomText(r);
          changes.push({ path, file: r.next() < 0.3 ? null : randomFile(r) });
        }
        for (const c of changes) {
          if (c.file === null) reference.delete(c.path);
          else reference.set(c.path, c.file);
        }
        spliced = spliced.with(changes);
        const full = canonicalJson(roleWith(head, reference).toJSON());
        const ours = canonicalTargetsRole(head, spliced);
        expect(ours, `seed ${seed}, round ${round}`).toBe(full);
        expect(olpc(JSON.parse(ours))).toBe(ours);
        expect(spliced.size).toBe(reference.size);
      }
    }
  });

  it("reads back its own canonical files by their bytes, and any other layout by parsing", () => {
    for (let seed = 1000; seed < 1100; seed++) {
      const r = prng(seed);
      const head = randomHead(r);
      const targets = new Map<string, TargetFile>();
      for (let i = r.int(30); i > 0; i--) targets.set(randomText(r), randomFile(r));
      const body = canonicalJson(roleWith(head, targets).toJSON());
      const text = envelope(body);
      expect(canonicalMembers(text)).not.toBeNull();
      const scanned = scanTargetsRole(text);
      expect(canonicalTargetsRole(scanned.head, scanned.targets)).toBe(body);
      for (const [path, file] of targets) expect(scanned.targets.file(path)?.toJSON()).toEqual(file.toJSON());

      // The same content pretty-printed, or with keys out of order, is not canonical: parsed instead, same result.
      const pretty = JSON.stringify(JSON.parse(text), null, 1);
      if (targets.size > 0) expect(canonicalMembers(pretty)).toBeNull();
      const fromPretty = scanTargetsRole(pretty);
      expect(canonicalTargetsRole(fromPretty.head, fromPretty.targets)).toBe(body);
    }
  });

  it("finds the entry of a path and nothing for an absent one", () => {
    const file = new TargetFile(3, { sha256: "a".repeat(64) });
    const t = CanonicalTargets.fromMap(new Map([["x\ue000", file], ["x\u00e9", file], ['q"\\', file]]));
    expect(t.file('q"\\')?.length).toBe(3);
    expect(t.file("x\ue000")?.hashes.sha256).toBe("a".repeat(64));
    expect(t.file("x")).toBeUndefined();
    expect(t.with([{ path: "x\u00e9", file: null }, { path: "absent", file: null }]).size).toBe(2);
    expect(t.size).toBe(3);
  });

  it.each([
    ["whitespace", '{"a": 1}'],
    ["unsorted keys", '{"b":1,"a":2}'],
    ["a repeated key", '{"a":1,"a":2}'],
    ["an escape canonical JSON does not use", '{"a":"\\u00e9"}'],
    ["a control character", '{"a":"\u0001"}'],
    ["a float", '{"a":1.5}'],
    ["an exponent", '{"a":1e3}'],
    ["negative zero", '{"a":-0}'],
    ["a leading zero", '{"a":01}'],
    ["an unsafe integer", '{"a":9007199254740993}'],
    ["a surrogate pair", '{"a":"\ud83d\ude00"}'],
    ["trailing text", '{"a":1}x'],
    ["a truncated object", '{"a":1'],
  ])("refuses as not canonical: %s", (_, text) => {
    expect(canonicalMembers(text)).toBeNull();
  });

  it("accepts what canonicalJson writes, edge cases included", () => {
    const value = { b: [1, -2, true, false, null, "x"], a: { "\uffff": "\ue000", "é": 'q"\\', "": {} }, c: Number.MAX_SAFE_INTEGER };
    const text = canonicalJson(value);
    expect(canonicalMembers(text)?.map((m) => m.key)).toEqual(["a", "b", "c"]);
  });
});
