import { describe, expect, test } from "vitest";
import { FieldError } from "../../shared/errors.js";
import { parseMetadataName } from "../../worker/storage/metadata-name.js";
import { acceptsGzip, clientAcceptEncoding, ifNoneMatchHits } from "../../worker/http/negotiate.js";
import { decodeTargetPath, encodeTargetPath, hashPrefixed } from "../../worker/http/target-path.js";
import { WeightedLru } from "../../worker/storage/weighted-lru.js";

describe("parseMetadataName", () => {
  test("accepts the timestamp and N.role.json", () => {
    expect(parseMetadataName("timestamp.json")).toEqual({ kind: "timestamp", name: "timestamp.json" });
    expect(parseMetadataName("1.root.json")).toEqual({ kind: "versioned", name: "1.root.json", version: 1, role: "root" });
    expect(parseMetadataName("42.bins-0a3f.json")).toMatchObject({ version: 42, role: "bins-0a3f" });
    expect(parseMetadataName("3.project.example_x.json")).toMatchObject({ version: 3, role: "project.example_x" });
    expect(parseMetadataName(`${Number.MAX_SAFE_INTEGER}.snapshot.json`)).toMatchObject({ version: Number.MAX_SAFE_INTEGER });
  });

  test.each([
    "", "root.json", "0.root.json", "01.root.json", "+1.root.json", "1.json", "1..json", "1.a..b.json", "1.a.json.json.",
    "1..root.json", "1.root.json/", "1/root.json", "1.ro%74.json", "1.ro ot.json", "1.root.JSON", "1.timestamp.json",
    `${Number.MAX_SAFE_INTEGER + 1}.root.json`, "1e2.root.json", `1.${"a".repeat(300)}.json`, ".1.root.json", "1.-.json/..",
  ])("refuses %j", (name) => {
    expect(parseMetadataName(name)).toBeNull();
  });
});

describe("content negotiation", () => {
  test.each([
    ["gzip", true], ["GZIP", true], ["x-gzip", true], ["br, gzip", true], ["gzip;q=0.001", true], ["deflate, gzip ; q=1", true],
    ["", false], ["identity", false], ["br", false], ["*", false], ["gzip;q=0", false], ["gzip;q=0.0, br", false], ["gzipx", false],
  ])("Accept-Encoding %j → gzip %s", (value, expected) => {
    expect(acceptsGzip(value)).toBe(expected);
  });

  test("the client's value in request.cf wins over the header the Worker sees", () => {
    const request = new Request("https://x/", { headers: { "Accept-Encoding": "br, gzip" } });
    Object.defineProperty(request, "cf", { value: { clientAcceptEncoding: "identity" } });
    expect(clientAcceptEncoding(request)).toBe("identity");
    expect(clientAcceptEncoding(new Request("https://x/", { headers: { "Accept-Encoding": "gzip" } }))).toBe("gzip");
  });

  test("If-None-Match: lists, weak tags and *", () => {
    expect(ifNoneMatchHits(null, '"a"')).toBe(false);
    expect(ifNoneMatchHits('"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('W/"a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b", "a"', '"a"')).toBe(true);
    expect(ifNoneMatchHits("*", '"a"')).toBe(true);
    expect(ifNoneMatchHits('"b"', '"a"')).toBe(false);
    expect(ifNoneMatchHits("a", '"a"')).toBe(false);
  });
});

describe("target paths in URLs", () => {
  test("decodes one segment at a time", () => {
    expect(decodeTargetPath("packages/ab/my%20pkg%2B1.0%20%C3%BC.tar.gz")).toBe("packages/ab/my pkg+1.0 ü.tar.gz");
    expect(decodeTargetPath("a+b/%252e%252e")).toBe("a+b/%2e%2e");
  });

  test.each(["a%2fb", "a%2F..", "%ff", "a%", "%c0%ae", "a%00", "a%5cb", "a//b", "", "a/", "/a", "%2e%2e/a", "./a", "a".repeat(1025), "%41".repeat(1025)])(
    "refuses %j with a FieldError",
    (raw) => {
      expect(() => decodeTargetPath(raw)).toThrow(FieldError);
    },
  );

  test("encodes each segment, keeping the slashes", () => {
    expect(encodeTargetPath("packages/ab/my pkg+1.0 ü.tar.gz")).toBe("packages/ab/my%20pkg%2B1.0%20%C3%BC.tar.gz");
    expect(encodeTargetPath("a?b/c#d/%41")).toBe("a%3Fb/c%23d/%2541");
  });

  test("the hash-prefixed reading", () => {
    const h = "0123456789abcdef".repeat(4);
    expect(hashPrefixed(`packages/ab/${h}.x.whl`)).toEqual({ path: "packages/ab/x.whl", algorithm: "sha256", digest: h });
    expect(hashPrefixed(`${h}${h}.README`)).toEqual({ path: "README", algorithm: "sha512", digest: h + h });
    expect(hashPrefixed(`packages/${h}/x.whl`)).toBeNull();
    expect(hashPrefixed(`packages/${h.toUpperCase()}.x.whl`)).toBeNull();
    expect(hashPrefixed(`packages/${h}.`)).toBeNull();
    expect(hashPrefixed(`packages/${h.slice(1)}.x`)).toBeNull();
  });
});

describe("WeightedLru", () => {
  test("evicts the least recently used beyond the weight limit", () => {
    const lru = new WeightedLru<string>(10);
    lru.set("a", "A", 4);
    lru.set("b", "B", 4);
    expect(lru.get("a")).toBe("A"); // a is now more recent than b
    lru.set("c", "C", 4);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe("A");
    expect(lru.get("c")).toBe("C");
    expect(lru.weight).toBe(8);
    lru.set("huge", "H", 11); // larger than the whole cache: not kept, nothing evicted
    expect(lru.size).toBe(2);
    lru.set("a", "A2", 2);
    expect(lru.weight).toBe(6);
    expect(lru.get("a")).toBe("A2");
  });
});
