// Target path and webhook body rules of contract.md ("Webhook").
import { describe, expect, it } from "vitest";
import { MAX_PATH_BYTES, checkTargetPath, parseUploadRequest, utf8 } from "../../shared/index.js";
import { CUSTOM_LIMITS } from "../../shared/upload.js";
import { expectFieldError } from "./fixtures.js";

const SHA256 = "ab".repeat(32);
const SHA512 = "cd".repeat(64);
const PATH = "packages/ab/cd/x/example-1.0.tar.gz";
const target = (over: Record<string, unknown> = {}) => ({ path: PATH, length: 10, hashes: { sha256: SHA256 }, ...over });

describe("checkTargetPath", () => {
  it.each([
    ["a plain file name", "example-1.0.tar.gz"],
    ["a nested path", "packages/ab/cd/0123/example-1.0-py3-none-any.whl"],
    ["dots inside segments", "a/.hidden/..x/x../..."],
    ["spaces, quotes and percent signs", 'simple/my pkg/"q" 100%.html'],
    ["BMP letters", "simple/ünïcødé/中文/index.html"],
    ["the last BMP characters", "a\ue000\ufffd\uffff"],
    ["1,024 ASCII bytes", "a".repeat(1024)],
    ["1,024 bytes of two-byte characters", "é".repeat(512)],
    ["1,022 ASCII bytes and a two-byte character", "a".repeat(1022) + "é"],
    ["1,024 bytes of three-byte characters and ASCII", "中".repeat(341) + "a"],
    ["__proto__", "__proto__"],
  ])("accepts %s", (_, path) => {
    expect(checkTargetPath(path, "p")).toBe(path);
  });

  it.each([
    ["an empty path", ""],
    ["an absolute path", "/packages/a.whl"],
    ["an empty segment", "packages//a.whl"],
    ["a trailing slash", "packages/"],
    ["a . segment", "packages/./a.whl"],
    ["a .. segment", "packages/../a.whl"],
    ["a leading ..", "../a.whl"],
    ["just .", "."],
    ["a backslash", "packages\\a.whl"],
    ["1,025 ASCII bytes", "a".repeat(1025)],
    ["1,025 bytes with a two-byte character", "a".repeat(1023) + "é"],
    ["1,026 bytes of three-byte characters", "中".repeat(342)],
    ["NUL", "a\u0000b"],
    ["a tab", "a\tb"],
    ["a newline", "a\n"],
    ["U+001F", "\u001f"],
    ["DEL", "a\u007fb"],
    ["C1 U+0080", "a\u0080b"],
    ["C1 U+009F", "a\u009fb"],
    ["a lone high surrogate", "a\ud800b"],
    ["a lone low surrogate", "a\udfffb"],
    ["a non-BMP character", "simple/🐍/index.html"],
  ])("refuses %s", (_, path) => {
    expectFieldError(() => checkTargetPath(path, "targets[0].path"), "targets[0].path");
  });

  it("counts bytes of UTF-8, not UTF-16 code units", () => {
    const path = "é".repeat(513);
    expect(path.length).toBeLessThan(MAX_PATH_BYTES);
    expect(utf8(path).length).toBe(1026);
    expectFieldError(() => checkTargetPath(path, "p"), "p");
  });

  it.each([null, 1, ["a"], { path: "a" }])("refuses a non-string %j", (path) => {
    expectFieldError(() => checkTargetPath(path, "remove[0]"), "remove[0]");
  });
});

/** `custom` nested `levels` deep: objects inside objects, a number at the bottom. */
const nested = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};
/** `custom` of exactly `bytes` bytes of JSON. */
const sized = (bytes: number) => ({ note: "x".repeat(bytes - JSON.stringify({ note: "" }).length) });

describe("the bounds on custom (CUSTOM_LIMITS): exactly at each is accepted, one past is refused", () => {
  it.each([
    ["8 levels deep", nested(8), true],
    ["9 levels deep", nested(9), false],
    ["8 levels deep through an array", { a: { a: { a: { a: { a: { a: [1, { leaf: 1 }] } } } } } }, true],
    ["9 levels deep through an array", { a: { a: { a: { a: { a: { a: [1, { a: { leaf: 1 } }] } } } } } }, false],
    ["64 keys in one object", Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, i])), true],
    ["65 keys in one object", Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])), false],
    ["64 keys across nested objects", { a: Object.fromEntries(Array.from({ length: 62 }, (_, i) => [`k${i}`, i])), b: 1 }, true],
    ["65 keys across nested objects", { a: Object.fromEntries(Array.from({ length: 63 }, (_, i) => [`k${i}`, i])), b: 1 }, false],
    ["4,096 bytes of JSON", sized(4096), true],
    ["4,097 bytes of JSON", sized(4097), false],
  ])("%s", (_, custom, accepted) => {
    expect(CUSTOM_LIMITS).toEqual({ depth: 8, keys: 64, bytes: 4096 });
    const parse = () => parseUploadRequest({ targets: [target({ custom })] });
    if (accepted) expect(parse().targets[0]!.custom).toEqual(custom);
    else expect(expectFieldError(parse, "targets[0].custom").message).toMatch(/at most (8 levels|64 keys|4096 bytes)/);
  });

  it("the sizes are what they say", () => {
    expect(JSON.stringify(sized(4096)).length).toBe(4096);
    let depth = 0;
    for (let v: unknown = nested(8); typeof v === "object" && v !== null; v = (v as Record<string, unknown>).a ?? (v as Record<string, unknown>).leaf) depth++;
    expect(depth).toBe(8);
  });
});

describe("parseUploadRequest", () => {
  it("accepts the contract's example", () => {
    const body = { targets: [target({ custom: { project: "example" } })], remove: ["packages/a/example-0.9.tar.gz"] };
    expect(parseUploadRequest(body)).toEqual({ targets: body.targets, remove: [{ path: "packages/a/example-0.9.tar.gz" }] });
  });

  it("accepts sha512 beside sha256, length 0 and the largest safe length", () => {
    const targets = [
      target({ hashes: { sha256: SHA256, sha512: SHA512 } }),
      target({ path: "b", length: 0 }),
      target({ path: "c", length: Number.MAX_SAFE_INTEGER }),
    ];
    expect(parseUploadRequest({ targets }).targets).toEqual(targets);
  });

  it("accepts a body that only removes", () => {
    expect(parseUploadRequest({ remove: ["a"] })).toEqual({ targets: [], remove: [{ path: "a" }] });
  });

  it("lists a path given twice with the same file once", () => {
    expect(parseUploadRequest({ targets: [target(), target()] }).targets).toHaveLength(1);
  });

  const refusals: [string, unknown, string][] = [
    ["a body that is not an object", [], ""],
    ["an unknown top-level field", { targets: [target()], extra: 1 }, "extra"],
    ["targets that is not an array", { targets: {} }, "targets"],
    ["remove that is not an array", { remove: "a" }, "remove"],
    ["an empty body", {}, "targets"],
    ["a target that is not an object", { targets: [target(), "a"] }, "targets[1]"],
    ["an unknown target field", { targets: [target({ mode: 1 })] }, "targets[0].mode"],
    ["a missing path", { targets: [target({ path: undefined })] }, "targets[0].path"],
    ["a bad path", { targets: [target(), target(), target({ path: "a/../b" })] }, "targets[2].path"],
    ["a negative length", { targets: [target({ length: -1 })] }, "targets[0].length"],
    ["a float length", { targets: [target({ length: 1.5 })] }, "targets[0].length"],
    ["an unsafe length", { targets: [target({ length: 2 ** 53 })] }, "targets[0].length"],
    ["a string length", { targets: [target({ length: "10" })] }, "targets[0].length"],
    ["a missing length", { targets: [target({ length: undefined })] }, "targets[0].length"],
    ["missing hashes", { targets: [target({ hashes: undefined })] }, "targets[0].hashes"],
    ["empty hashes", { targets: [target({ hashes: {} })] }, "targets[0].hashes"],
    ["sha512 without sha256", { targets: [target({ hashes: { sha512: SHA512 } })] }, "targets[0].hashes.sha256"],
    ["an upper-case sha256", { targets: [target(), target(), target({ hashes: { sha256: SHA256.toUpperCase() } })] }, "targets[2].hashes.sha256"],
    ["a short sha256", { targets: [target({ hashes: { sha256: SHA256.slice(1) } })] }, "targets[0].hashes.sha256"],
    ["a non-hex sha256", { targets: [target({ hashes: { sha256: "g" + SHA256.slice(1) } })] }, "targets[0].hashes.sha256"],
    ["a short sha512", { targets: [target({ hashes: { sha256: SHA256, sha512: SHA256 } })] }, "targets[0].hashes.sha512"],
    ["blake2b-256", { targets: [target({ hashes: { sha256: SHA256, "blake2b-256": SHA256 } })] }, "targets[0].hashes.blake2b-256"],
    ["md5", { targets: [target({ hashes: { sha256: SHA256, md5: SHA256.slice(32) } })] }, "targets[0].hashes.md5"],
    ["custom that is not an object", { targets: [target({ custom: ["a"] })] }, "targets[0].custom"],
    ["a float in custom", { targets: [target({ custom: { a: { b: [1, 0.5] } } })] }, "targets[0].custom.a.b[1]"],
    ["a control character in custom", { targets: [target({ custom: { note: "a\nb" } })] }, "targets[0].custom.note"],
    ["a non-BMP character in a custom key", { targets: [target({ custom: { "🐍": 1 } })] }, "targets[0].custom.🐍"],
    ["a lone surrogate in custom", { targets: [target({ custom: { s: "\ud800" } })] }, "targets[0].custom.s"],
    ["the same path with another sha256", { targets: [target(), target({ hashes: { sha256: "ef".repeat(32) } })] }, "targets[1].path"],
    ["the same path with another length", { targets: [target(), target({ length: 11 })] }, "targets[1].path"],
    ["the same path with and without sha512", { targets: [target(), target({ hashes: { sha256: SHA256, sha512: SHA512 } })] }, "targets[1].path"],
    ["a path both added and removed", { targets: [target()], remove: ["x", target().path] }, "remove[1]"],
    ["a bad removed path", { remove: ["ok", "bad\\path"] }, "remove[1]"],
  ];

  it.each(refusals)("refuses %s, naming the field", (_, body, field) => {
    expectFieldError(() => parseUploadRequest(body), field);
  });
});
