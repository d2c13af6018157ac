// RFC 9842 header fields as tuf-edge writes and reads them (Structured Fields, RFC 9651).
import { describe, expect, test } from "vitest";
import {
  formatAvailableDictionary, formatSfString, formatUseAsDictionary, matchesDictionary, parseAvailableDictionary, parseSfString, parseUseAsDictionary,
} from "../../shared/delta/headers.js";

const hash = Uint8Array.from({ length: 32 }, (_, i) => i * 7);

describe("Available-Dictionary", () => {
  test("an sf-binary of the 32-byte SHA-256, round trip", () => {
    const value = formatAvailableDictionary(hash);
    expect(value).toMatch(/^:[A-Za-z0-9+/]{43}=:$/);
    expect(parseAvailableDictionary(value)).toEqual(hash);
    expect(parseAvailableDictionary(` ${value} `)).toEqual(hash);
  });

  test.each([null, "", "::", "abc", ":AAAA:", `"${"A".repeat(43)}="`, `:${"A".repeat(43)}=`, `:${"A".repeat(43)}!:`, `:${"A".repeat(44)}:`, `:${"A".repeat(43)}=:, :AA==:`])(
    "%j names no dictionary",
    (value) => expect(parseAvailableDictionary(value)).toBeNull(),
  );
});

describe("sf-strings (Dictionary-ID)", () => {
  test("round trip with escapes; anything else is not a string", () => {
    for (const s of ["41.snapshot.json", 'a"b\\c', ""]) expect(parseSfString(formatSfString(s))).toBe(s);
    for (const v of [null, "41.snapshot.json", '"a', '"a"b"', '"a\\x"', '"é"', "?1"]) expect(parseSfString(v)).toBeNull();
    expect(() => formatSfString("é")).toThrow();
  });
});

describe("Use-As-Dictionary", () => {
  test("match and id, round trip", () => {
    const offer = { match: "/metadata/*.snapshot.json", id: "41.snapshot.json" };
    const value = formatUseAsDictionary(offer);
    expect(value).toBe('match="/metadata/*.snapshot.json", id="41.snapshot.json"');
    expect(parseUseAsDictionary(value)).toEqual(offer);
    expect(parseUseAsDictionary('match="/a/*", match-dest=("document" "frame"), type=raw')).toEqual({ match: "/a/*" });
  });

  test.each([null, "", 'id="x"', "match=/a/*", 'match="/a/*", type=brotli', 'match="/a/*" id="x"', 'match="/a/*", id=5'])(
    "%j is not a usable offer",
    (value) => expect(parseUseAsDictionary(value)).toBeNull(),
  );
});

describe("which requests a dictionary applies to", () => {
  const dict = "https://tuf.example/metadata/41.snapshot.json";
  test.each([
    ["/metadata/*.snapshot.json", "https://tuf.example/metadata/42.snapshot.json", true],
    ["/metadata/*.snapshot.json", "https://tuf.example/metadata/1000.snapshot.json", true],
    ["*.snapshot.json", "https://tuf.example/metadata/42.snapshot.json", true],
    ["/metadata/*.snapshot.json", "https://tuf.example/metadata/42.bins-0a.json", false],
    ["/metadata/*.snapshot.json", "https://tuf.example/other/42.snapshot.json", false],
    ["/metadata/*.snapshot.json", "https://other.example/metadata/42.snapshot.json", false],
    ["/metadata/*.bins-0a.json", "https://tuf.example/metadata/7.bins-0a.json", true],
    ["/metadata/*.bins-0a.json", "https://tuf.example/metadata/7.bins-0ab.json", false],
    // URL Pattern syntax beyond `*` is not understood: the dictionary is not used.
    ["/metadata/:v.snapshot.json", "https://tuf.example/metadata/42.snapshot.json", false],
    ["/metadata/(\\d+).snapshot.json", "https://tuf.example/metadata/42.snapshot.json", false],
  ])("%s for %s: %s", (match, url, expected) => expect(matchesDictionary(match, dict, url)).toBe(expected));
});
