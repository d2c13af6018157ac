import fs, { constants } from "node:fs";
import { mkdir, readFile, rename, rm } from "node:fs/promises";
import { promisify } from "node:util";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fromHex, toHex } from "../../shared/encoding.js";
import { type DictionaryBounds, type DictionaryEntry, DictionaryIndex, type DictionaryStore, entryOf, equalBytes, storedOf } from "../../shared/delta/dictionaries.js";

/** One line of the log: a dictionary stored, and where its bytes are in the pack. */
interface LogRecord {
  readonly url: string;
  readonly match: string;
  readonly id?: string;
  readonly sha256: string;
  readonly length: number;
  readonly immutable?: boolean;
  readonly offset: number;
  /** Order of storing: the newest record per match wins, and the bounds evict the oldest first. */
  readonly seq: number;
}

/** What the store does with an open file (a node:fs/promises FileHandle). */
export interface DictionaryFileHandle {
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<unknown>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

/** The file operations the store uses (node:fs/promises by default; a test counts them). */
export interface DictionaryFiles {
  open(path: string, flags: number): Promise<DictionaryFileHandle>;
  readFile(path: string): Promise<Uint8Array>;
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

/**
 * A file descriptor, not a FileHandle: a store is used until its process ends, and Node warns when
 * it garbage-collects an open FileHandle (close() is there for a caller that ends sooner).
 */
async function openFile(path: string, flags: number): Promise<DictionaryFileHandle> {
  const fd = await promisify(fs.open)(path, flags);
  return {
    read: async (buffer, offset, length, position) => ({ bytesRead: (await promisify(fs.read)(fd, buffer, offset, length, position)).bytesRead }),
    write: (buffer, offset, length, position) => promisify(fs.write)(fd, buffer, offset, length, position),
    stat: () => promisify(fs.fstat)(fd),
    close: () => promisify(fs.close)(fd),
  };
}

export const nodeFiles: DictionaryFiles = { open: openFile, readFile, mkdir, rename, rm };
const LOG = "dictionaries.log";
const PACK = "dictionaries.pack";
// Read and written at chosen offsets (never O_APPEND, which ignores them); created when missing.
const READ_WRITE = constants.O_RDWR | constants.O_CREAT;

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest();

function parseLog(text: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const line of text.split("\n")) {
    try {
      const r = JSON.parse(line) as LogRecord;
      if (typeof r.match === "string" && typeof r.url === "string" && /^[0-9a-f]{64}$/.test(r.sha256) &&
        Number.isSafeInteger(r.offset) && Number.isSafeInteger(r.length) && Number.isSafeInteger(r.seq)) records.push(r);
    } catch {
      // a torn last line (a crash while writing it), or an empty one: nothing
    }
  }
  return records.sort((a, b) => a.seq - b.seq);
}

const entryOfRecord = (r: LogRecord): DictionaryEntry => ({
  url: r.url, match: r.match, ...(r.id === undefined ? {} : { id: r.id }), sha256: fromHex(r.sha256), length: r.length, ...(r.immutable ? { immutable: true } : {}),
});

/**
 * Positional writes to one file, coalesced: what is queued while a write is in flight goes out as
 * one write per run of adjacent offsets (a run of 16 requests in flight stores 16 responses at once).
 */
class CoalescedWrites {
  private queue: { bytes: Uint8Array; offset: number; done: (e?: unknown) => void }[] = [];
  private running = false;

  constructor(readonly handle: DictionaryFileHandle) {}

  write(bytes: Uint8Array, offset: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ bytes, offset, done: (e) => (e === undefined ? resolve() : reject(e)) });
      if (!this.running) void this.drain();
    });
  }

  /** Resolves once nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.running || this.queue.length) await new Promise((r) => setTimeout(r, 1));
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0).sort((a, b) => a.offset - b.offset);
      let error: unknown;
      try {
        for (let i = 0; i < batch.length; ) {
          let j = i;
          let end = batch[i]!.offset + batch[i]!.bytes.length;
          while (j + 1 < batch.length && batch[j + 1]!.offset === end) end += batch[++j]!.bytes.length;
          const bytes = j === i ? batch[i]!.bytes : Buffer.concat(batch.slice(i, j + 1).map((w) => w.bytes));
          await this.handle.write(bytes, 0, bytes.length, batch[i]!.offset);
          i = j + 1;
        }
      } catch (e) {
        error = e ?? new Error("write failed");
      }
      for (const w of batch) w.done(error);
    }
    this.running = false;
  }
}

interface Opened {
  readonly index: DictionaryIndex;
  /** Where the bytes of each match's current dictionary are in the pack. */
  readonly at: Map<string, number>;
  readonly pack: DictionaryFileHandle;
  readonly packWrites: CoalescedWrites;
  readonly logWrites: CoalescedWrites;
  end: number;
  logEnd: number;
  seq: number;
}

/**
 * Dictionaries in `dir` as two files: `dictionaries.pack` (the bytes, one after another) and
 * `dictionaries.log` (one JSON line per dictionary stored: url, match, id, sha256, length, offset).
 * The log is read once, on first use; a look-up then reads the bytes of the one dictionary it uses
 * and checks their hash (bytes that no longer hash to their record are not used). A response stored
 * already as it is is not written again; a new one costs two writes to files kept open, not a file
 * of its own (at 16,384 bins, opening and closing files cost more than the rest of a run). The
 * store holds at most `bounds` (default 65,536 dictionaries, 1 GiB), least recently stored out;
 * the space of replaced and evicted dictionaries is reclaimed when a run opens the store and finds
 * more than half of the pack unused. One process at a time per `dir`.
 */
export function fileDictionaries(dir: string, bounds: DictionaryBounds = {}, files: DictionaryFiles = nodeFiles): DictionaryStore & { close(): Promise<void> } {
  let opened: Promise<Opened> | null = null;
  const load = () => (opened ??= (async () => {
    await files.mkdir(dir, { recursive: true });
    let records: LogRecord[] = [];
    try {
      records = parseLog(new TextDecoder().decode(await files.readFile(join(dir, LOG))));
    } catch {
      // no log yet
    }
    let pack = await files.open(join(dir, PACK), READ_WRITE);
    let end = (await pack.stat()).size;
    const index = new DictionaryIndex(bounds);
    const at = new Map<string, number>();
    for (const r of records) {
      if (r.offset + r.length > end) continue; // bytes never fully written
      at.set(r.match, r.offset);
      for (const evicted of index.set(entryOfRecord(r))) at.delete(evicted);
    }
    let live = 0;
    for (const match of at.keys()) live += index.get(match)!.length;
    if (records.length > 2 * at.size + 1024 || end > 2 * live + 16 * 1024 * 1024) {
      ({ pack, end } = await compact(files, dir, pack, index, at));
    }
    const log = await files.open(join(dir, LOG), READ_WRITE);
    const logEnd = (await log.stat()).size;
    return { index, at, pack, packWrites: new CoalescedWrites(pack), logWrites: new CoalescedWrites(log), end, logEnd, seq: (records.at(-1)?.seq ?? 0) + 1 };
  })());
  return {
    /** Closes the files (after the writes in flight); the store opens them again if used after. */
    async close() {
      const store = await opened;
      opened = null;
      if (!store) return;
      await Promise.all([store.packWrites.idle(), store.logWrites.idle()]);
      await Promise.all([store.pack.close(), store.logWrites.handle.close()]);
    },
    async find(url) {
      const store = await load();
      const entry = store.index.best(url);
      if (!entry) return null;
      const offset = store.at.get(entry.match);
      if (offset === undefined) return null;
      const bytes = new Uint8Array(entry.length);
      const { bytesRead } = await store.pack.read(bytes, 0, entry.length, offset);
      if (bytesRead !== entry.length || !equalBytes(sha256(bytes), entry.sha256)) return null;
      return { ...storedOf(entry), bytes };
    },
    async put(d) {
      const store = await load();
      if (store.index.holds(d)) return;
      // Offsets are taken before any await: concurrent puts never overlap.
      const offset = store.end;
      store.end += d.bytes.length;
      const record: LogRecord = { ...recordOf(d, offset), seq: store.seq++ };
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      const logOffset = store.logEnd;
      store.logEnd += line.length;
      // Bytes first, then the line that vouches for them: a crash leaves a record without its bytes
      // (skipped), or bytes no record names (reclaimed later), never a record over other bytes.
      await store.packWrites.write(d.bytes, offset);
      await store.logWrites.write(line, logOffset);
      store.at.set(d.match, offset);
      for (const evicted of store.index.set(entryOf(d))) store.at.delete(evicted);
    },
  };
}

const recordOf = (d: Parameters<DictionaryStore["put"]>[0], offset: number): Omit<LogRecord, "seq"> => ({
  url: d.url, match: d.match, ...(d.id === undefined ? {} : { id: d.id }), sha256: toHex(d.sha256), length: d.bytes.length,
  ...(d.immutable ? { immutable: true } : {}), offset,
});

/** Rewrites the pack and the log with the live dictionaries only (their bytes checked), then swaps them in. */
async function compact(files: DictionaryFiles, dir: string, pack: DictionaryFileHandle, index: DictionaryIndex, at: Map<string, number>) {
  const tmpPack = await files.open(join(dir, `${PACK}.tmp`), READ_WRITE | constants.O_TRUNC);
  const lines: string[] = [];
  let end = 0;
  let seq = 1;
  for (const [match, offset] of [...at]) {
    const entry = index.get(match)!;
    const bytes = new Uint8Array(entry.length);
    const { bytesRead } = await pack.read(bytes, 0, entry.length, offset);
    if (bytesRead !== entry.length || !equalBytes(sha256(bytes), entry.sha256)) {
      at.delete(match);
      index.delete(match);
      continue;
    }
    await tmpPack.write(bytes, 0, bytes.length, end);
    lines.push(JSON.stringify({ ...recordOf({ ...storedOf(entry), bytes }, end), seq: seq++ }));
    at.set(match, end);
    end += bytes.length;
  }
  await pack.close();
  const tmpLog = await files.open(join(dir, `${LOG}.tmp`), READ_WRITE | constants.O_TRUNC);
  const text = Buffer.from(lines.length ? `${lines.join("\n")}\n` : "");
  await tmpLog.write(text, 0, text.length, 0);
  await tmpLog.close();
  await tmpPack.close();
  // The log names offsets in the new pack: the pack goes first (a crash between the two leaves the
  // old log over the new pack, whose records then fail their hash check and are not used).
  await files.rename(join(dir, `${PACK}.tmp`), join(dir, PACK));
  await files.rename(join(dir, `${LOG}.tmp`), join(dir, LOG));
  return { pack: await files.open(join(dir, PACK), READ_WRITE), end };
}
