// Distributions checked like PyPI checks them (issue 22, part 3): wheels and sdists whose metadata
// names the file name's project and version; hostile archives (junk, bombs, lies about sizes)
// refused at a bounded cost, reading only what is needed.
// Guards README invariants 9 and 12.
import { deflateRawSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ARCHIVE_LIMITS, DistRefusal, type RangeReader } from "../../shared/distribution/archive.js";
import { type StoredDist, inspectDist } from "../../shared/distribution/inspect.js";
import { buildWheel, tarGz, zip } from "../support/wheel.js";

const text = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

/** A stored object whose reads are counted. */
function stored(bytes: Uint8Array) {
  const counted = { bytes: 0 };
  const reader: RangeReader = {
    size: bytes.length,
    async read(offset, length) {
      counted.bytes += length;
      return bytes.slice(offset, offset + length);
    },
  };
  const dist: StoredDist = { reader, stream: async () => new Response(bytes).body as ReadableStream<Uint8Array> };
  return { dist, counted };
}

/** A zip with deflated members; `lie` overrides the sizes the directory states for a member. */
function deflatedZip(files: [string, Uint8Array][], lie: Record<string, number> = {}): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const packed = deflateRawSync(data);
    const n = Buffer.from(name);
    const size = lie[name] ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(n.length, 26);
    parts.push(local, n, packed);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(packed.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(offset, 42);
    central.push(c, n);
    offset += 30 + n.length + packed.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...parts, cd, end]));
}

const meta = (name: string, version: string) => text(`Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n\nA description: Name: other\n`);
const W = "packages/d/demo-1.0-py3-none-any.whl";
const refusal = async (path: string, bytes: Uint8Array) => {
  const e = await inspectDist(path, stored(bytes).dist).then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(DistRefusal);
  return (e as Error).message;
};

describe("wheels", () => {
  it("a valid wheel (stored or deflated) gives its METADATA", async () => {
    const wheel = buildWheel("demo", "1.0");
    expect((await inspectDist(W, stored(wheel.bytes).dist)).metadata).toEqual(wheel.metadata);
    const deflated = deflatedZip([["demo/__init__.py", text("x")], ["demo-1.0.dist-info/METADATA", meta("Demo", "1.0.0")]]);
    expect((await inspectDist(W, stored(deflated).dist)).metadata).toEqual(meta("Demo", "1.0.0"));
  });

  it.each([
    ["an empty file", new Uint8Array(0), /is empty/],
    ["six bytes of text", text("junk!\n"), /is not a zip archive/],
    ["a zip without METADATA", zip([["demo/__init__.py", text("x")]]), /holds 0 \*\.dist-info\/METADATA/],
    ["two METADATA", zip([["a.dist-info/METADATA", meta("demo", "1.0")], ["b.dist-info/METADATA", meta("demo", "1.0")]]), /holds 2/],
    ["another project", zip([["demo-1.0.dist-info/METADATA", meta("other", "1.0")]]), /names project other, not demo/],
    ["another version", zip([["demo-1.0.dist-info/METADATA", meta("demo", "2.0")]]), /states version 2\.0, not 1\.0/],
    ["no Name", zip([["demo-1.0.dist-info/METADATA", text("Version: 1.0\n")]]), /states no Name or Version/],
  ])("%s is refused with the reason", async (_, bytes, reason) => {
    expect(await refusal(W, bytes)).toMatch(reason);
  });

  it("a zip bomb (a METADATA that inflates past the bound while its directory says 100 bytes) costs the bound", async () => {
    const bomb = deflatedZip([["demo-1.0.dist-info/METADATA", new Uint8Array(ARCHIVE_LIMITS.member * 4)]], { "demo-1.0.dist-info/METADATA": 100 });
    expect(bomb.length).toBeLessThan(100_000);
    expect(await refusal(W, bomb)).toMatch(/decompresses past the bound/);
    const declared = deflatedZip([["demo-1.0.dist-info/METADATA", text("x")]], { "demo-1.0.dist-info/METADATA": 2 ** 31 });
    expect(await refusal(W, declared)).toMatch(/larger than the bound/);
  });

  it("only the zip's end and one member are read, however large the wheel", async () => {
    const wheel = zip([["demo/big.bin", new Uint8Array(8 * 1024 * 1024)], ["demo-1.0.dist-info/METADATA", meta("demo", "1.0")]]);
    const { dist, counted } = stored(wheel);
    await inspectDist(W, dist);
    expect(counted.bytes).toBeLessThan(70_000);
  });
});

describe("sdists", () => {
  const S = "packages/d/demo-1.0.tar.gz";
  it("a gzip tar with {name}-{version}/PKG-INFO passes; a zip sdist too", async () => {
    expect((await inspectDist(S, stored(tarGz([["demo-1.0/setup.py", text("")], ["demo-1.0/PKG-INFO", meta("demo", "1.0")]])).dist)).metadata).toBeNull();
    expect((await inspectDist("p/demo-1.0.zip", stored(zip([["demo-1.0/PKG-INFO", meta("demo", "1.0")]])).dist)).metadata).toBeNull();
  });

  it.each([
    ["not gzip", text("junk"), /is not a gzip tar archive/],
    ["no PKG-INFO", tarGz([["demo-1.0/setup.py", text("")]]), /holds no \{name\}-\{version\}\/PKG-INFO/],
    ["another project", tarGz([["demo-1.0/PKG-INFO", meta("evil", "1.0")]]), /names project evil/],
  ])("%s is refused with the reason", async (_, bytes, reason) => {
    expect(await refusal(S, bytes)).toMatch(reason);
  });

  it("a tar bomb is scanned only up to its bound", async () => {
    const bomb = tarGz([["demo-1.0/zeros", new Uint8Array(ARCHIVE_LIMITS.tarScan + 1024 * 1024)], ["demo-1.0/PKG-INFO", meta("demo", "1.0")]]);
    expect(await refusal(S, bomb)).toMatch(/no PKG-INFO within the first/);
  });
});
