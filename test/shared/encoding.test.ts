// Base64 is how the writer hands rendered pages to its shards (worker/publish/bin-shards.ts): at the
// size of the largest page the bound allows (10,000 files: 6.3 MB of JSON), byte for byte.
import { randomBytes } from "node:crypto";
import { expect, test } from "vitest";
import { fromBase64, toBase64 } from "../../shared/encoding.js";

test("base64 round trip of 8 MB, and the RFC 4648 test vectors", () => {
  const bytes = new Uint8Array(randomBytes(8 * 1024 * 1024));
  const text = toBase64(bytes);
  expect(text).toBe(Buffer.from(bytes).toString("base64"));
  // Buffer.equals: a deep toEqual of 8 MB takes a minute.
  expect(Buffer.from(fromBase64(text)).equals(Buffer.from(bytes))).toBe(true);
  for (const [plain, encoded] of [["", ""], ["f", "Zg=="], ["fo", "Zm8="], ["foo", "Zm9v"], ["foob", "Zm9vYg=="], ["fooba", "Zm9vYmE="], ["foobar", "Zm9vYmFy"]] as const) {
    expect(toBase64(new TextEncoder().encode(plain))).toBe(encoded);
    expect(new TextDecoder().decode(fromBase64(encoded))).toBe(plain);
  }
  expect(() => fromBase64("not base64!")).toThrow();
});
