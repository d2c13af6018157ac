import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, open, stat } from "node:fs/promises";
import { join } from "node:path";
import { TextDecoder } from "node:util";
import { binIndex } from "../../../shared/bins.js";
import { canonicalJson } from "../../../shared/canonical.js";
import { FieldError } from "../../../shared/errors.js";
import { type UploadTarget, parseUploadRequest } from "../../../shared/upload.js";
import { CliError } from "../errors.js";

/** An invalid line of the listing: its number (from 1) and the offending field, as the webhook names it. */
export class ListingError extends CliError {
  constructor(
    readonly line: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`line ${line}: ${field ? `${field}: ` : ""}${reason}`);
    this.name = "ListingError";
  }
}

/**
 * One line of the listing, validated by the webhook's own rules (shared/upload.ts): the line is
 * checked as the single target of a webhook body, and the field is named relative to the line.
 */
export function parseListingLine(text: string, line: number): UploadTarget {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ListingError(line, "", "is not valid JSON");
  }
  try {
    return parseUploadRequest({ targets: [json] }).targets[0]!;
  } catch (e) {
    if (!(e instanceof FieldError)) throw e;
    throw new ListingError(line, e.field.replace(/^targets\[0\]\.?/, ""), e.reason);
  }
}

/** What a listing is, cheaply: a changed size, mtime or first MiB means a different listing. */
export interface ListingIdentity {
  readonly size: number;
  readonly mtimeMs: number;
  readonly headSha256: string;
}

const HEAD_BYTES = 1024 * 1024;

export async function listingIdentity(path: string): Promise<ListingIdentity> {
  const s = await stat(path);
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(Math.min(HEAD_BYTES, s.size));
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return { size: s.size, mtimeMs: s.mtimeMs, headSha256: createHash("sha256").update(head.subarray(0, bytesRead)).digest("hex") };
  } finally {
    await file.close();
  }
}

export const sameListing = (a: ListingIdentity, b: ListingIdentity) =>
  a.size === b.size && a.mtimeMs === b.mtimeMs && a.headSha256 === b.headSha256;

/**
 * How many partition files pass 1 writes: 64 (one per 2^(bits-6) bins), more for listings over
 * 2 GiB so that one partition stays around 32 MiB; never more than there are bins.
 */
export function partitionCount(bitLength: number, listingBytes: number): number {
  let p = 64;
  while (p * 32 * 1024 * 1024 < listingBytes && p < 4096) p *= 2;
  return Math.min(p, 2 ** bitLength);
}

/** The partition of a bin: the top bits of its number, so each bin's lines land in one partition. */
export const partitionOf = (bin: number, bitLength: number, partitions: number): number =>
  Math.floor(bin / (2 ** bitLength / partitions));

export const partitionFile = (dir: string, p: number) => join(dir, `part-${String(p).padStart(4, "0")}.tsv`);

/** A line of a partition file: `<bin>\t<listing line>\t<canonical JSON of the target>`. */
export interface PartitionEntry {
  readonly bin: number;
  readonly line: number;
  readonly json: string;
}

/**
 * The target as one JSON text with sorted keys, so that two lines of the same target compare equal.
 * canonicalJson for the rare entry with `custom`; JSON.stringify (3-4 times faster) otherwise, which
 * gives the same text for the validated strings (no control characters, no lone surrogates).
 */
export function targetJson(t: UploadTarget): string {
  if (t.custom !== undefined) return canonicalJson(t);
  const hashes = t.hashes.sha512 === undefined ? { sha256: t.hashes.sha256 } : { sha256: t.hashes.sha256, sha512: t.hashes.sha512 };
  return JSON.stringify({ hashes, length: t.length, path: t.path });
}

export const formatEntry = (e: PartitionEntry) => `${e.bin}\t${e.line}\t${e.json}\n`;

export function parseEntry(text: string): PartitionEntry {
  const a = text.indexOf("\t");
  const b = text.indexOf("\t", a + 1);
  return { bin: Number(text.slice(0, a)), line: Number(text.slice(a + 1, b)), json: text.slice(b + 1) };
}

export interface PartitionProgress {
  readonly lines: number;
  readonly bytes: number;
  readonly totalBytes: number;
}

export interface PartitionResult {
  /** Lines read, blank lines included. */
  readonly lines: number;
  /** Targets written to the partitions (every non-blank line). */
  readonly targets: number;
  readonly partitions: number;
  /** Targets per partition. */
  readonly sizes: readonly number[];
}

const FLUSH_BYTES = 8 * 1024 * 1024;

/**
 * Pass 1: streams the listing once, validates every line and appends it to the partition of its
 * bin in `dir`. Memory: one read chunk plus at most ~8 MiB of buffered output. The first invalid
 * line aborts with a ListingError (line number and field); blank lines are skipped.
 */
export async function partitionListing(
  listing: string,
  dir: string,
  { bitLength, partitions, onProgress }: { bitLength: number; partitions: number; onProgress?: (p: PartitionProgress) => void },
): Promise<PartitionResult> {
  const totalBytes = (await stat(listing)).size;
  const files: FileHandle[] = [];
  const buffers: string[][] = Array.from({ length: partitions }, () => []);
  const sizes = new Array<number>(partitions).fill(0);
  let buffered = 0;
  const flush = async () => {
    await Promise.all(buffers.map((b, p) => (b.length ? files[p]!.write(b.join("")) : undefined)));
    buffers.forEach((b) => (b.length = 0));
    buffered = 0;
  };
  let lines = 0;
  let targets = 0;
  let bytes = 0;
  const take = (raw: string) => {
    lines++;
    const text = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (text.trim() === "") return;
    const target = parseListingLine(text, lines);
    const bin = binIndex(target.path, bitLength);
    const p = partitionOf(bin, bitLength, partitions);
    const entry = formatEntry({ bin, line: lines, json: targetJson(target) });
    buffers[p]!.push(entry);
    buffered += entry.length;
    sizes[p]!++;
    targets++;
  };
  try {
    for (let p = 0; p < partitions; p++) files.push(await open(partitionFile(dir, p), "w"));
    // fatal: a byte sequence that is not UTF-8 must not turn into U+FFFD inside a signed path.
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let rest = "";
    for await (const chunk of createReadStream(listing, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let text: string;
      try {
        text = rest + decoder.decode(chunk, { stream: true });
      } catch {
        throw new ListingError(lines + 1, "", "is not valid UTF-8 (at or after this line)");
      }
      let start = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", start)) {
        take(text.slice(start, nl));
        start = nl + 1;
      }
      rest = text.slice(start);
      if (buffered >= FLUSH_BYTES) await flush();
      onProgress?.({ lines, bytes, totalBytes });
    }
    try {
      rest += decoder.decode();
    } catch {
      throw new ListingError(lines + 1, "", "is not valid UTF-8");
    }
    if (rest !== "") take(rest);
    await flush();
    onProgress?.({ lines, bytes, totalBytes });
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
  return { lines, targets, partitions, sizes };
}
