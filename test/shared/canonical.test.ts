import canonicalize from "canonicalize";
import { canonicalize as olpc } from "@tufjs/canonical-json";
import { beforeAll, describe, expect, it } from "vitest";
import { canonicalJson } from "../../shared/index.js";
import { type Repo, expectFieldError, makeRepo, served } from "./fixtures.js";

const EDGE_CASES: Record<string, unknown> = {
  "BMP text": { name: "ünïcødé ĳ ✓ 中文 ﬀ \u2028\u2029 \ufeff \ue000 \uffff" },
  "quotes and backslashes": { s: 'say "hi" \\ C:\\path\\ \\"', 'k"\\': '"' },
  "key ordering": { b: 1, a: 2, A: 3, _: 4, "": 5, aa: 6, "a\u00e9": 7, é: 8, "10": 9, "9": 10, "\uffff": 11, "\ue000": 12 },
  nested: { a: [{ z: [1, [2, [3, {}]]], y: { x: { w: "deep" } } }] },
  "empty containers": { o: {}, l: [], s: "", n: null, t: true, f: false },
  "large safe integers": { max: Number.MAX_SAFE_INTEGER, min: Number.MIN_SAFE_INTEGER, zero: 0, negativeZero: -0, neg: -1 },
  "__proto__ keys": JSON.parse('{"__proto__": {"__proto__": 1}, "constructor": "x", "toString": []}'),
  "top-level scalars": ["a", 1, true, null],
};

describe("canonicalJson agrees with @tufjs/canonical-json (OLPC)", () => {
  let repo: Repo;
  beforeAll(async () => {
    repo = await makeRepo();
  });

  it("on every file of a signed repository", () => {
    const docs = [repo.root, repo.targets, repo.snapshot, repo.timestamp, ...repo.bins.values()];
    for (const md of docs) {
      const json = served(md);
      expect(canonicalJson(json)).toBe(olpc(json));
      expect(canonicalJson(json.signed)).toBe(olpc(json.signed));
    }
  });

  it.each(Object.entries(EDGE_CASES))("on %s", (_, value) => {
    const ours = canonicalJson(value);
    expect(ours).toBe(olpc(value));
    // What a client computes from our bytes, after parsing them.
    expect(olpc(JSON.parse(ours))).toBe(ours);
  });

  it("keeps __proto__ as an ordinary key", () => {
    expect(canonicalJson(EDGE_CASES["__proto__ keys"])).toBe('{"__proto__":{"__proto__":1},"constructor":"x","toString":[]}');
  });
});

const REFUSED_STRINGS: Record<string, string> = {
  NUL: "a\u0000b",
  tab: "a\tb",
  newline: "a\nb",
  "carriage return": "\r",
  "U+001F": "\u001f",
  DEL: "\u007f",
  "C1 U+0080": "\u0080",
  "C1 U+0085": "x\u0085",
  "C1 U+009F": "\u009f",
  "lone high surrogate": "a\ud800b",
  "lone high surrogate at end": "a\ud83d",
  "lone low surrogate": "\udc00a",
  "reversed pair": "\ude00\ud83d",
  "non-BMP emoji": "snake 🐍",
  "non-BMP CJK": "\u{20000}",
};

describe("canonicalJson refuses what OLPC and JCS encode differently", () => {
  it.each(Object.entries(REFUSED_STRINGS))("%s in a value, naming the field", (_, s) => {
    expectFieldError(() => canonicalJson({ signed: { targets: { p: { custom: { list: ["ok", s] } } } } }), "signed.targets.p.custom.list[1]");
  });

  it.each(Object.entries(REFUSED_STRINGS))("%s in a key, naming the field", (_, s) => {
    const e = expectFieldError(() => canonicalJson({ meta: { [s]: 1 } }), `meta.${s}`);
    expect(e.reason).toMatch(/^key: /);
  });

  it("names the reason", () => {
    expect(expectFieldError(() => canonicalJson({ a: "\u0085" }), "a").reason).toContain("U+0085");
    expect(expectFieldError(() => canonicalJson({ a: "\ud800" }), "a").reason).toContain("lone surrogate");
    expect(expectFieldError(() => canonicalJson({ a: "🐍" }), "a").reason).toContain("Basic Multilingual Plane");
  });

  it.each([
    ["a float", 1.5],
    ["a tiny float", 1e-7],
    ["NaN", NaN],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["2^53", 2 ** 53],
    ["-(2^53)", -(2 ** 53)],
    ["1e21", 1e21],
  ])("refuses %s, naming the field", (_, n) => {
    expectFieldError(() => canonicalJson({ signed: { version: 1, length: [0, n] } }), "signed.length[1]");
  });

  it("refuses values JSON cannot hold", () => {
    expectFieldError(() => canonicalJson({ a: 10n }), "a");
    expectFieldError(() => canonicalJson({ a: [undefined] }), "a[0]");
    expectFieldError(() => canonicalJson({ a: () => 1 }), "a");
  });

  it("checks what toJSON returns, since that is what gets encoded", () => {
    expectFieldError(() => canonicalJson({ a: { toJSON: () => ({ b: 0.5 }) } }), "a.b");
    expect(canonicalJson({ a: { toJSON: () => ({ b: 5 }) } })).toBe('{"a":{"b":5}}');
  });

  it("accepts the characters around the refused ranges", () => {
    const edges = " \u00a0\u00ff\ud7ff\ue000\uffff";
    expect(canonicalJson({ [edges]: edges })).toBe(olpc({ [edges]: edges }));
  });
});

describe("canonicalJson keeps its own stack (security review, finding 2)", () => {
  it("encodes a value nested 100,000 deep without overflowing, and refuses a bad leaf at that depth by name", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(100_000 * 6 + 1);
    let bad: unknown = 0.5;
    for (let i = 0; i < 100_000; i++) bad = [bad];
    expect(() => canonicalJson(bad)).toThrow(/only integers/);
  });

  it("gives RFC 8785's bytes (the canonicalize package) on nested, sorted, escaped values", () => {
    const values = [
      { b: [1, { z: null, a: true }, "x\"y\\\\"], a: { "é": 2, e: -3, "\uE000": "\uFFFD" } },
      [[[[]]], {}, "", 0, false],
      { toJSON: () => ({ d: new Date(0) }) },
      { skipped: undefined, kept: [null] },
    ];
    for (const v of values) expect(canonicalJson(v)).toBe(canonicalize(v));
  });
});
