/**
 * Delta updates (RFC 9842 `dcz`) for Node clients: zstd loaded from the installed package, a
 * dictionary store on disk (a client process that starts per refresh, as pip does, still has last
 * time's metadata), and a tuf-js fetcher built on `createDeltaFetch`.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { BaseFetcher } from "tuf-js";
// tuf-js tells "no newer root" (403/404) from other failures by this class, which it does not re-export.
import { DownloadHTTPError } from "tuf-js/dist/error.js";
import { type DeltaFetchOptions, type FetchFunction, createDeltaFetch } from "../../shared/delta/fetch.js";
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

export { type DictionaryFileHandle, type DictionaryFiles, fileDictionaries } from "./dictionary-files.js";

/** `createDeltaFetch` with zstd loaded for Node, hashing with node:crypto. */
export function createNodeDeltaFetch(options: Omit<DeltaFetchOptions, "zstd"> = {}): FetchFunction {
  return createDeltaFetch({ sha256: (bytes) => createHash("sha256").update(bytes).digest(), ...options, zstd: loadZstd() });
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
