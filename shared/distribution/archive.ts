import { collectBounded } from "../bounded-body.js";

/**
 * Just enough of the zip and tar formats to find one member of a distribution, with hard bounds:
 * a zip is read from its end (the central directory, then one member by range), a tar.gz is
 * streamed until the member is found. No size an archive states is trusted: every read and every
 * decompression stops at its bound, so an archive bomb costs at most the bound.
 */

export class DistRefusal extends Error {
  override readonly name = "DistRefusal";
}

/** Random access to a stored object (an R2 range read). */
export interface RangeReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

export const ARCHIVE_LIMITS = {
  /** Bytes of a zip's central directory (a wheel of 20,000 files needs about 2 MB). */
  centralDirectory: 8 * 1024 * 1024,
  /** Bytes of the one member read (METADATA, PKG-INFO), compressed and decompressed. */
  member: 4 * 1024 * 1024,
  /** Decompressed bytes of a tar.gz scanned for PKG-INFO. */
  tarScan: 64 * 1024 * 1024,
};

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly offset: number;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const names = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The entries of a zip archive, from its end-of-central-directory record. */
export async function zipEntries(r: RangeReader): Promise<ZipEntry[]> {
  if (r.size < 22) throw new DistRefusal(`is not a zip archive (${r.size} bytes)`);
  const tailLength = Math.min(r.size, 22 + 0xffff);
  const tail = await r.read(r.size - tailLength, tailLength);
  let end = -1;
  for (let i = tail.length - 22; i >= 0; i--) if (u32(tail, i) === 0x06054b50) { end = i; break; }
  if (end < 0) throw new DistRefusal("is not a zip archive (no end of central directory)");
  const count = u16(tail, end + 10);
  const cdSize = u32(tail, end + 12);
  const cdOffset = u32(tail, end + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new DistRefusal("is a zip64 archive, which a distribution has no need of");
  if (cdSize > ARCHIVE_LIMITS.centralDirectory) throw new DistRefusal(`has a central directory of ${cdSize} bytes, past the bound of ${ARCHIVE_LIMITS.centralDirectory}`);
  if (cdOffset + cdSize > r.size - tailLength + end) throw new DistRefusal("is not a zip archive (its central directory lies outside it)");
  const cd = await r.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  for (let at = 0; entries.length < count; ) {
    if (at + 46 > cd.length || u32(cd, at) !== 0x02014b50) throw new DistRefusal("is not a zip archive (a broken central directory)");
    const nameLength = u16(cd, at + 28);
    const skip = nameLength + u16(cd, at + 30) + u16(cd, at + 32);
    if (at + 46 + skip > cd.length) throw new DistRefusal("is not a zip archive (a broken central directory)");
    let name: string;
    try {
      name = names.decode(cd.subarray(at + 46, at + 46 + nameLength));
    } catch {
      throw new DistRefusal("has a member name that is not UTF-8");
    }
    entries.push({ name, flags: u16(cd, at + 8), method: u16(cd, at + 10), compressedSize: u32(cd, at + 20), size: u32(cd, at + 24), offset: u32(cd, at + 42) });
    at += 46 + skip;
  }
  return entries;
}

/** Collects a stream's bytes, refusing past `limit` (shared/bounded-body.ts stops reading there). */
async function collect(stream: ReadableStream<Uint8Array>, limit: number, what: string): Promise<Uint8Array> {
  const bytes = await collectBounded(stream, limit);
  if (!bytes) throw new DistRefusal(`${what} decompresses past the bound of ${limit} bytes`);
  return bytes;
}

const streamOf = (bytes: Uint8Array) => new Response(bytes).body as ReadableStream<Uint8Array>;

/** One zip member's bytes (stored or deflated), within ARCHIVE_LIMITS.member. */
export async function zipMember(r: RangeReader, entry: ZipEntry): Promise<Uint8Array> {
  if (entry.flags & 1) throw new DistRefusal(`${entry.name} is encrypted`);
  if (entry.compressedSize > ARCHIVE_LIMITS.member || entry.size > ARCHIVE_LIMITS.member) {
    throw new DistRefusal(`${entry.name} is larger than the bound of ${ARCHIVE_LIMITS.member} bytes`);
  }
  const local = await r.read(entry.offset, 30);
  if (local.length < 30 || u32(local, 0) !== 0x04034b50) throw new DistRefusal(`${entry.name}: no local header where the central directory says`);
  const start = entry.offset + 30 + u16(local, 26) + u16(local, 28);
  if (start + entry.compressedSize > r.size) throw new DistRefusal(`${entry.name} lies outside the archive`);
  const data = await r.read(start, entry.compressedSize);
  if (entry.method === 0) {
    if (data.length !== entry.size) throw new DistRefusal(`${entry.name}: stored size and length differ`);
    return data;
  }
  if (entry.method !== 8) throw new DistRefusal(`${entry.name} is compressed with method ${entry.method} (only stored and deflate)`);
  try {
    return await collect(streamOf(data).pipeThrough(new DecompressionStream("deflate-raw")), ARCHIVE_LIMITS.member, entry.name);
  } catch (e) {
    if (e instanceof DistRefusal) throw e;
    throw new DistRefusal(`${entry.name} does not inflate: ${(e as Error).message}`);
  }
}

const octal = (b: Uint8Array, at: number, length: number) => parseInt(new TextDecoder().decode(b.subarray(at, at + length)).replace(/\0.*$/s, "").trim() || "0", 8);
const text = (b: Uint8Array, at: number, length: number) => new TextDecoder().decode(b.subarray(at, at + length)).replace(/\0.*$/s, "");

/**
 * The first member of a gzip tar stream whose name `wanted` accepts, within ARCHIVE_LIMITS; null
 * when the archive ends without one. Understands ustar names with a prefix, GNU long names and
 * pax `path` records.
 */
export async function tarMember(gz: ReadableStream<Uint8Array>, wanted: (name: string) => boolean): Promise<{ name: string; bytes: Uint8Array } | null> {
  const reader = gz.pipeThrough(new DecompressionStream("gzip")).getReader();
  let buffer = new Uint8Array(0);
  let scanned = 0;
  let ended = false;
  /** At least `n` bytes buffered, or false at the end of the stream. */
  const fill = async (n: number) => {
    while (buffer.length < n && !ended) {
      const { done, value } = await reader.read();
      if (done) { ended = true; break; }
      scanned += value.length;
      if (scanned > ARCHIVE_LIMITS.tarScan) {
        await reader.cancel();
        throw new DistRefusal(`holds no PKG-INFO within the first ${ARCHIVE_LIMITS.tarScan} bytes`);
      }
      const next = new Uint8Array(buffer.length + value.length);
      next.set(buffer);
      next.set(value, buffer.length);
      buffer = next;
    }
    return buffer.length >= n;
  };
  const take = (n: number) => {
    const out = buffer.slice(0, n);
    buffer = buffer.subarray(n);
    return out;
  };
  try {
    let longName: string | null = null;
    for (;;) {
      if (!(await fill(512))) return null;
      const header = take(512);
      if (header.every((b) => b === 0)) return null;
      const size = octal(header, 124, 12);
      const type = String.fromCharCode(header[156]!);
      const padded = Math.ceil(size / 512) * 512;
      const prefix = text(header, 257, 6).startsWith("ustar") ? text(header, 345, 155) : "";
      const name = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
      longName = null;
      const small = size <= ARCHIVE_LIMITS.member;
      const isWanted = (type === "0" || type === "\0") && wanted(name);
      if (type === "L" || type === "x" || isWanted) {
        if (!small) throw new DistRefusal(`${name} is larger than the bound of ${ARCHIVE_LIMITS.member} bytes`);
        if (!(await fill(padded))) throw new DistRefusal("is a truncated tar archive");
        const body = take(padded).subarray(0, size);
        if (isWanted) return { name, bytes: body };
        if (type === "L") longName = text(body, 0, body.length);
        else longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(body))?.[1] ?? null;
        continue;
      }
      // Skip the member's data without keeping it.
      for (let left = padded; left > 0; ) {
        if (!(await fill(Math.min(left, 65536)))) throw new DistRefusal("is a truncated tar archive");
        left -= take(Math.min(left, buffer.length)).length;
      }
    }
  } catch (e) {
    if (e instanceof DistRefusal) throw e;
    throw new DistRefusal(`is not a gzip tar archive: ${(e as Error).message}`);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
