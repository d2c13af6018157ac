// The dcz format (RFC 9842 §4.2) and the zstd build behind it, checked against a second
// implementation (the `zstd` command, which .ci/run installs), and every way a body can be corrupt.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DCZ_HEADER, DczError, decodeDcz, encodeDcz, sha256 } from "../../shared/delta/dcz.js";
import { Zstd, ZstdError } from "../../shared/delta/zstd.js";
import { loadZstd } from "../../scripts/lib/delta.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

/** A snapshot-like document: `entries` bins, every `step`-th at `version`, the rest at 1. */
export function snapshotLike(version: number, entries = 2048, step = 97): Uint8Array {
  const meta: Record<string, { version: number }> = {};
  for (let i = 0; i < entries; i++) meta[`bins-${i.toString(16).padStart(3, "0")}.json`] = { version: i % step === 0 ? version : 1 };
  return utf8(JSON.stringify({ signatures: [{ keyid: "ab".repeat(32), sig: "cd".repeat(64) }], signed: { _type: "snapshot", meta, version } }));
}

let zstd: Zstd;
let dir: string;
let dictionary: Uint8Array;
let content: Uint8Array;
let body: Uint8Array;
let dictionarySha: Uint8Array;

beforeAll(async () => {
  zstd = await loadZstd();
  dir = mkdtempSync(join(tmpdir(), "tuf-edge-dcz-"));
  dictionary = snapshotLike(41);
  content = snapshotLike(42);
  dictionarySha = await sha256(dictionary);
  body = encodeDcz(zstd, content, dictionary, { dictionary: dictionarySha, content: await sha256(content) });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the `zstd` command with `input` on stdin; returns stdout. */
function zstdCommand(args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync("zstd", args, { input, maxBuffer: 64 * 1024 * 1024 }));
}

describe("zstd with a raw dictionary, against the zstd command", () => {
  test("a dcz body is the 8-byte header, the dictionary's SHA-256, zstd data: the command decodes it whole", () => {
    expect([...body.subarray(0, 8)]).toEqual([0x5e, 0x2a, 0x4d, 0x18, 0x20, 0x00, 0x00, 0x00]);
    expect(body.subarray(8, 40)).toEqual(dictionarySha);
    const file = join(dir, "41.snapshot.json");
    writeFileSync(file, dictionary);
    // Both the dcz header and tuf-edge's content-hash trailer are skippable frames to any zstd decoder.
    expect(zstdCommand(["-d", "-c", "-D", file], body)).toEqual(content);
    expect(body.length).toBeLessThan(content.length / 50);
  });

  test("what the command compresses with a dictionary, this build decodes", () => {
    const file = join(dir, "dict");
    writeFileSync(file, dictionary);
    for (const level of ["-1", "-3", "-19"]) {
      const frame = zstdCommand([level, "-c", "-D", file], content);
      expect(zstd.decompress(frame, dictionary, content.length)).toEqual(content);
    }
  });

  test("every level round-trips; empty content and an empty dictionary too", () => {
    for (const level of [1, 3, 9, 19]) expect(zstd.decompress(zstd.compress(content, dictionary, level), dictionary, 1 << 20)).toEqual(content);
    expect(zstd.decompress(zstd.compress(new Uint8Array(0), dictionary), dictionary, 10)).toEqual(new Uint8Array(0));
    expect(zstd.decompress(zstd.compress(content, new Uint8Array(0)), new Uint8Array(0), 1 << 20)).toEqual(content);
  });

  test("decoding never writes past maxLength: a larger result is an error, not a truncation", () => {
    const frame = zstd.compress(content, dictionary);
    expect(() => zstd.decompress(frame, dictionary, content.length - 1)).toThrow(/declares/);
    // A frame that under-declares its size runs out of room instead of growing past it.
    const lying = frame.slice();
    // RFC 8878 §3.1.1.1: the descriptor byte says where Frame_Content_Size is and how wide.
    const descriptor = lying[4]!;
    const singleSegment = (descriptor & 0x20) !== 0;
    const at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][descriptor & 0x03]!;
    const view = new DataView(lying.buffer);
    const fcs = descriptor >> 6;
    expect(fcs === 1 || fcs === 2).toBe(true);
    if (fcs === 1) view.setUint16(at, content.length - 256 - 10, true);
    else view.setUint32(at, content.length - 10, true);
    expect(() => zstd.decompress(lying, dictionary, 1 << 20)).toThrow(ZstdError);
    expect(zstd.decompress(frame, dictionary, content.length)).toEqual(content);
  });
});

describe("a corrupt dcz body fails; it never decodes to other bytes", () => {
  const decode = (b: Uint8Array, dict = dictionary, sha = dictionarySha) => decodeDcz(zstd, b, dict, sha, 1 << 20);
  const reason = async (b: Uint8Array, dict?: Uint8Array, sha?: Uint8Array) => {
    try {
      await decode(b, dict, sha);
    } catch (error) {
      expect(error).toBeInstanceOf(DczError);
      return (error as DczError).reason;
    }
    return "decoded";
  };

  test("the intact body decodes to the content", async () => {
    expect(await decode(body)).toEqual(content);
  });

  test("truncated at every length", async () => {
    for (let length = 0; length < body.length; length++) expect(await reason(body.subarray(0, length)), `${length} bytes`).not.toBe("decoded");
  });

  test("every byte altered (one bit, or all bits)", async () => {
    for (let i = 0; i < body.length; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const altered = body.slice();
        altered[i]! ^= mask;
        expect(await reason(altered), `byte ${i} ^ ${mask}`).not.toBe("decoded");
      }
    }
  });

  test("bytes appended, or a second copy of the frame", async () => {
    expect(await reason(Uint8Array.of(...body, 0))).not.toBe("decoded");
    const frame = body.subarray(40, body.length - 40);
    // Two frames decode to twice the declared size: zstd runs out of room, or the hash differs.
    expect(["zstd", "content-hash"]).toContain(await reason(Uint8Array.of(...body.subarray(0, 40), ...frame, ...frame, ...body.subarray(body.length - 40))));
  });

  test("the wrong header, the wrong dictionary hash, the wrong dictionary bytes", async () => {
    expect(await reason(Uint8Array.of(0xff, 0x44, 0x43, 0x42, ...body.subarray(4)))).toBe("header");
    expect(await reason(body, dictionary, await sha256(utf8("other")))).toBe("dictionary");
    // Bytes that are not the dictionary the body names, presented with its hash: zstd or the content hash refuses.
    expect(["zstd", "content-hash"]).toContain(await reason(body, dictionary.slice().reverse(), dictionarySha));
    // A near copy (another version) either fails or, where the frame copies only the bytes both share,
    // gives exactly the content: the content hash leaves no third outcome.
    const near = await decode(body, snapshotLike(40)).catch((error: unknown) => error);
    if (near instanceof Uint8Array) expect(near).toEqual(content);
    else expect(near).toBeInstanceOf(DczError);
  });

  test("a content hash that does not match what the frame decodes to", async () => {
    const lying = encodeDcz(zstd, content, dictionary, { dictionary: dictionarySha, content: await sha256(dictionary) });
    expect(await reason(lying)).toBe("content-hash");
    expect(DCZ_HEADER.length).toBe(8);
  });
});
