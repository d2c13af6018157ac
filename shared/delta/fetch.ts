import { DczError, decodeDcz, sha256 } from "./dcz.js";
import { readBounded } from "../bounded-body.js";
import { type DictionaryStore, memoryDictionaries } from "./dictionaries.js";
import { formatAvailableDictionary, formatSfString, parseUseAsDictionary } from "./headers.js";
import type { Zstd } from "./zstd.js";

export { type DictionaryEntry, type DictionaryStore, type StoredDictionary, memoryDictionaries } from "./dictionaries.js";

/** Content codings every WHATWG fetch (Node's undici included) decodes before handing out the body. */
const DECODED_BY_FETCH = new Set(["gzip", "x-gzip", "deflate", "br"]);

/** Set on a response answered from a kept immutable file, without a request. */
export const REUSED_HEADER = "X-Tuf-Edge-Reused";

export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

export interface DeltaFetchOptions {
  readonly zstd: Zstd | Promise<Zstd>;
  /** The transport (default: the global `fetch`); like fetch, it must decode gzip itself. */
  readonly fetch?: FetchFunction;
  readonly dictionaries?: DictionaryStore;
  /**
   * Answer a GET of the URL a kept dictionary came from, when its server called it `immutable`, with
   * the kept bytes and no request (default true): a returning client fetches only what changed.
   */
  readonly reuseImmutable?: boolean;
  /** SHA-256 of a kept response (default WebCrypto's; in Node, node:crypto's synchronous one costs less a call). */
  readonly sha256?: (bytes: Uint8Array) => Uint8Array | Promise<Uint8Array>;
  /** The largest body accepted, on the wire and decoded (default 64 MiB): a server cannot make us allocate more. */
  readonly maxLength?: number;
}

/**
 * A `fetch` that speaks RFC 9842 with `dcz`: it keeps the decoded bytes of every response that offers
 * itself as a dictionary, names the best one in `Available-Dictionary` (and `Dictionary-ID`) on later
 * requests, and decodes a `dcz` answer. What it returns is always the decoded body, exactly the bytes
 * the server signed; a corrupt dcz body rejects the promise with a DczError. Without a dictionary it
 * asks for gzip, which the transport decodes, like any client.
 */
export function createDeltaFetch(options: DeltaFetchOptions): FetchFunction {
  const transport = options.fetch ?? ((url, init) => fetch(url, init));
  const dictionaries = options.dictionaries ?? memoryDictionaries();
  const maxLength = options.maxLength ?? 64 * 1024 * 1024;
  const reuseImmutable = options.reuseImmutable ?? true;
  const hash = options.sha256 ?? sha256;

  return async (url, init = {}) => {
    const dictionary = await dictionaries.find(url);
    if (reuseImmutable && dictionary?.immutable && dictionary.url === url && (init.method ?? "GET") === "GET") {
      // The same URL, answered `immutable` last time: these are its bytes (a consistent-snapshot
      // file never changes), as python-tuf uses a local file the snapshot's version still names.
      const headers = { "Content-Type": "application/json", "Content-Length": String(dictionary.bytes.length), [REUSED_HEADER]: "1" };
      return new Response(dictionary.bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
    }
    const headers = new Headers(init.headers);
    if (dictionary) {
      headers.set("Accept-Encoding", "dcz, gzip");
      headers.set("Available-Dictionary", formatAvailableDictionary(dictionary.sha256));
      if (dictionary.id !== undefined) headers.set("Dictionary-ID", formatSfString(dictionary.id));
    }
    const response = await transport(url, { ...init, headers });
    const coding = response.headers.get("Content-Encoding")?.trim().toLowerCase();
    let body: Uint8Array;
    const out = new Headers(response.headers);
    if (coding === "dcz") {
      if (!dictionary) throw new DczError("dictionary", "dcz answer to a request that named no dictionary");
      const wire = await readBounded(response, maxLength, url);
      body = await decodeDcz(await options.zstd, wire, dictionary.bytes, dictionary.sha256, maxLength);
      out.delete("Content-Encoding");
      out.set("Content-Length", String(body.length));
    } else {
      body = await readBounded(response, maxLength, url);
      // A WHATWG fetch has already decoded these: say what the body now is.
      if (coding && DECODED_BY_FETCH.has(coding)) {
        out.delete("Content-Encoding");
        out.set("Content-Length", String(body.length));
      }
    }
    const offer = response.ok ? parseUseAsDictionary(response.headers.get("Use-As-Dictionary")) : null;
    const immutable = /(^|,)\s*immutable\s*(,|$)/i.test(response.headers.get("Cache-Control") ?? "");
    if (offer) await dictionaries.put({ url: response.url || url, ...offer, bytes: body, sha256: await hash(body), ...(immutable ? { immutable } : {}) });
    const init2: ResponseInit = { status: response.status, statusText: response.statusText, headers: out };
    return new Response([204, 304].includes(response.status) ? null : (body as Uint8Array<ArrayBuffer>), init2);
  };
}
