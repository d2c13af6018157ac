/**
 * Delta updates (RFC 9842 `dcz`) for Node clients: zstd loaded from the installed package, a
 * dictionary store on disk (a client process that starts per refresh, as pip does, still has last
 * time's metadata), and a tuf-js fetcher built on `createDeltaFetch`.
 */
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { BaseFetcher } from "tuf-js";
// tuf-js tells "no newer root" (403/404) from other failures by this class, which it does not re-export.
import { DownloadHTTPError } from "tuf-js/dist/error.js";
import { fromHex, toHex } from "../../shared/encoding.js";
import { type DictionaryBounds, DictionaryIndex, type DictionaryStore, entryOf, equalBytes, storedOf } from "../../shared/delta/dictionaries.js";
import { type DeltaFetchOptions, type FetchFunction, createDeltaFetch } from "../../shared/delta/fetch.js";
import { forEachLimit } from "./verify.js";
import { Zstd } from "../../shared/delta/zstd.js";

let loaded: Promise<Zstd> | null = null;

/** zstd for Node: the `.wasm` file shipped in `@bokuweb/zstd-wasm`, compiled once per process. */
export function loadZstd(): Promise<Zstd> {
  loaded ??= (async () => {
    // The package's exports map hides dist/; resolve its entry point and take the file beside it.
    const entry = createRequire(import.meta.url).resolve("@bokuweb/zstd-wasm");
    const bytes = await readFile(join(dirname(entry), "zstd.wasm"));
    // (Node has WebAssembly.compile; the workers types the project compiles against leave it out.)
    const { compile } = WebAssembly as unknown as { compile(bytes: Uint8Array): Promise<WebAssembly.Module> };
    return Zstd.instantiate(await compile(bytes));
  })();
  return loaded;
}

interface DictionaryFile {
  readonly url: string;
  readonly match: string;
  readonly id?: string;
  readonly sha256: string;
  readonly length?: number;
  readonly immutable?: boolean;
  /** When it was stored (ms): the bounds evict the least recently stored first. */
  readonly stored?: number;
}

/** The file operations the store uses (node:fs/promises by default; a test counts them). */
export interface DictionaryFiles {
  readdir(dir: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, bytes: Uint8Array | string): Promise<void>;
  mkdir(dir: string, options: { recursive: true }): Promise<unknown>;
  rm(path: string, options: { force: true }): Promise<void>;
}

const nodeFiles: DictionaryFiles = { readdir, readFile, writeFile, mkdir, rm };

/**
 * Dictionaries in `dir`, one pair of files per `match` pattern: `<key>.json` (url, match, id, sha256,
 * length) and `<key>.bin` (the bytes). The records are read once, on the first look-up; after that a
 * look-up reads one `.bin`, the one it uses, and checks its hash (a file that no longer hashes to
 * its record is not used). A response already stored as it is is not written again. The store holds
 * at most `bounds` (default 65,536 dictionaries, 1 GiB), least recently stored out.
 */
export function fileDictionaries(dir: string, bounds: DictionaryBounds = {}, files: DictionaryFiles = nodeFiles): DictionaryStore {
  // node:crypto, synchronous: a run hashes up to one name and one dictionary per request.
  const keyOf = (match: string) => createHash("sha256").update(match).digest("hex").slice(0, 32);
  let made = false;
  let loaded: Promise<DictionaryIndex> | null = null;
  const load = () => (loaded ??= (async () => {
    const index = new DictionaryIndex(bounds);
    let names: string[];
    try {
      names = await files.readdir(dir);
    } catch {
      return index;
    }
    const records: DictionaryFile[] = [];
    await forEachLimit(names.filter((n) => n.endsWith(".json")), 16, async (name) => {
      try {
        const record = JSON.parse(new TextDecoder().decode(await files.readFile(join(dir, name)))) as DictionaryFile;
        if (typeof record.match === "string" && typeof record.url === "string" && /^[0-9a-f]{64}$/.test(record.sha256)) records.push(record);
      } catch {
        // A half-written or foreign file: not a dictionary.
      }
    });
    records.sort((a, b) => (a.stored ?? 0) - (b.stored ?? 0));
    const evicted: string[] = [];
    for (const r of records) {
      evicted.push(...index.set({ url: r.url, match: r.match, ...(r.id === undefined ? {} : { id: r.id }), sha256: fromHex(r.sha256), length: r.length ?? 0, ...(r.immutable === true ? { immutable: true } : {}) }));
    }
    for (const match of evicted) await remove(match);
    return index;
  })());
  const remove = async (match: string) => {
    const key = keyOf(match);
    await files.rm(join(dir, `${key}.json`), { force: true });
    await files.rm(join(dir, `${key}.bin`), { force: true });
  };
  return {
    async find(url) {
      const entry = (await load()).best(url);
      if (!entry) return null;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await files.readFile(join(dir, `${keyOf(entry.match)}.bin`)));
      } catch {
        return null;
      }
      if (!equalBytes(createHash("sha256").update(bytes).digest(), entry.sha256)) return null;
      return { ...storedOf(entry), bytes };
    },
    async put(d) {
      const index = await load();
      if (index.holds(d)) return;
      if (!made) await files.mkdir(dir, { recursive: true });
      made = true;
      const key = keyOf(d.match);
      const record: DictionaryFile = { url: d.url, match: d.match, ...(d.id === undefined ? {} : { id: d.id }), sha256: toHex(d.sha256), length: d.bytes.length, ...(d.immutable ? { immutable: true } : {}), stored: Date.now() };
      // Bytes first, then the record that vouches for them. No rename needed: torn bytes do not hash
      // to the record's sha256 and a torn record does not parse, so a crash leaves nothing used.
      await files.writeFile(join(dir, `${key}.bin`), d.bytes);
      await files.writeFile(join(dir, `${key}.json`), JSON.stringify(record));
      for (const match of index.set(entryOf(d))) await remove(match);
    },
  };
}

/** `createDeltaFetch` with zstd loaded for Node. */
export function createNodeDeltaFetch(options: Omit<DeltaFetchOptions, "zstd"> = {}): FetchFunction {
  return createDeltaFetch({ ...options, zstd: loadZstd() });
}

/**
 * A tuf-js fetcher that downloads deltas when the server offers them. tuf-js sees the decoded bytes
 * and verifies them as it verifies any download (length, hashes, signatures, versions).
 *
 *     new Updater({ ..., fetcher: new DeltaFetcher({ dictionaries: fileDictionaries(dir) }) })
 */
export class DeltaFetcher extends BaseFetcher {
  private readonly deltaFetch: FetchFunction;

  constructor(options: Omit<DeltaFetchOptions, "zstd"> & { readonly deltaFetch?: FetchFunction } = {}) {
    super();
    this.deltaFetch = options.deltaFetch ?? createNodeDeltaFetch(options);
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const response = await this.deltaFetch(url);
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new DownloadHTTPError(`GET ${url}: HTTP ${response.status}`, response.status);
    }
    return response.body as ReadableStream<Uint8Array<ArrayBuffer>>;
  }
}
