/**
 * Delta updates (RFC 9842 `dcz`) for Node clients: zstd loaded from the installed package, a
 * dictionary store on disk (a client process that starts per refresh, as pip does, still has last
 * time's metadata), and a tuf-js fetcher built on `createDeltaFetch`.
 */
import { mkdir, readFile, readdir, rename, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { BaseFetcher } from "tuf-js";
// tuf-js tells "no newer root" (403/404) from other failures by this class, which it does not re-export.
import { DownloadHTTPError } from "tuf-js/dist/error.js";
import { toHex } from "../../shared/encoding.js";
import { type DeltaFetchOptions, type DictionaryStore, type FetchFunction, type StoredDictionary, createDeltaFetch } from "../../shared/delta/fetch.js";
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
}

/**
 * Dictionaries in `dir`, one pair of files per `match` pattern: `<key>.json` (url, match, id, sha256)
 * and `<key>.bin` (the bytes). A file whose bytes no longer hash to the recorded sha256 is ignored.
 */
export function fileDictionaries(dir: string): DictionaryStore {
  const keyOf = async (match: string) => toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(match)))).slice(0, 32);
  return {
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch {
        return [];
      }
      const out: StoredDictionary[] = [];
      for (const name of names.filter((n) => n.endsWith(".json"))) {
        try {
          const meta = JSON.parse(await readFile(join(dir, name), "utf8")) as DictionaryFile;
          const bytes = new Uint8Array(await readFile(join(dir, name.replace(/\.json$/, ".bin"))));
          const sha256 = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
          if (toHex(sha256) !== meta.sha256) continue;
          out.push({ url: meta.url, match: meta.match, ...(meta.id === undefined ? {} : { id: meta.id }), bytes, sha256 });
        } catch {
          // A half-written or foreign file: not a dictionary.
        }
      }
      return out;
    },
    async put(d) {
      await mkdir(dir, { recursive: true });
      const key = await keyOf(d.match);
      const meta: DictionaryFile = { url: d.url, match: d.match, ...(d.id === undefined ? {} : { id: d.id }), sha256: toHex(d.sha256) };
      // Bytes first, then the record that vouches for them, each by rename: a crash leaves no mix.
      await writeFile(join(dir, `${key}.bin.tmp`), d.bytes);
      await rename(join(dir, `${key}.bin.tmp`), join(dir, `${key}.bin`));
      await writeFile(join(dir, `${key}.json.tmp`), JSON.stringify(meta));
      await rename(join(dir, `${key}.json.tmp`), join(dir, `${key}.json`));
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
