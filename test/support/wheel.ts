import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

/** A tiny zip writer (stored entries, no compression): enough for a valid wheel in tests. */

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A zip archive of `files` (name → bytes), in the given order, stored uncompressed. */
export function zip(files: ReadonlyArray<readonly [string, Uint8Array]>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of files) {
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    locals.push(local, nameBytes, Buffer.from(data));
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, centralBytes, end]));
}

export interface Wheel {
  readonly filename: string;
  readonly bytes: Uint8Array;
  /** The METADATA file inside: what PEP 658 serves as `{wheel}.metadata`. */
  readonly metadata: Uint8Array;
}

const recordHash = (data: Uint8Array) => `sha256=${createHash("sha256").update(data).digest("base64url")}`;

/**
 * A minimal valid pure-Python wheel (binary distribution format): `{name}/__init__.py` and a
 * `.dist-info` with METADATA, WHEEL and RECORD (hashes of every other file).
 */
/** `extra` is appended to the package's `__init__.py`: the same file name with other bytes. */
export function buildWheel(name: string, version: string, opts: { requiresPython?: string; extra?: string } = {}): Wheel {
  const distName = name.replace(/[-.]+/g, "_");
  const info = `${distName}-${version}.dist-info`;
  const text = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
  const metadata = text(
    ["Metadata-Version: 2.1", `Name: ${name}`, `Version: ${version}`, ...(opts.requiresPython ? [`Requires-Python: ${opts.requiresPython}`] : []), "", ""].join("\n"),
  );
  const files: [string, Uint8Array][] = [
    [`${distName}/__init__.py`, text(`__version__ = "${version}"\n${opts.extra ?? ""}`)],
    [`${info}/METADATA`, metadata],
    [`${info}/WHEEL`, text("Wheel-Version: 1.0\nGenerator: tuf-edge-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n\n")],
  ];
  const record = files.map(([path, data]) => `${path},${recordHash(data)},${data.length}`).concat(`${info}/RECORD,,`, "").join("\n");
  files.push([`${info}/RECORD`, text(record)]);
  return { filename: `${distName}-${version}-py3-none-any.whl`, bytes: zip(files), metadata };
}

/** A ustar archive of `files`, gzip-compressed. */
export function tarGz(files: [string, Uint8Array][]): Uint8Array {
  const blocks: Buffer[] = [];
  for (const [name, data] of files) {
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write("0000644\0", 100);
    h.write(data.length.toString(8).padStart(11, "0") + "\0", 124);
    h.write("00000000000\0", 136);
    h.write("0", 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    h.fill(" ", 148, 156);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148);
    blocks.push(h, Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return new Uint8Array(gzipSync(Buffer.concat(blocks)));
}

/** A minimal sdist: `{name}-{version}.tar.gz` holding `{name}-{version}/PKG-INFO`, the name spelled as given (legacy names too). */
export function buildSdist(spelling: string, project: string, version: string): { filename: string; bytes: Uint8Array } {
  const base = `${spelling}-${version}`;
  const pkgInfo = new Uint8Array(Buffer.from(`Metadata-Version: 2.1\nName: ${project}\nVersion: ${version}\n\n`, "utf8"));
  return { filename: `${base}.tar.gz`, bytes: tarGz([[`${base}/PKG-INFO`, pkgInfo]]) };
}
