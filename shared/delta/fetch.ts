import { DczError, decodeDcz, sha256 } from "./dcz.js";
import { formatAvailableDictionary, formatSfString, matchesDictionary, parseUseAsDictionary } from "./headers.js";
import type { Zstd } from "./zstd.js";

/** A response kept as a dictionary (RFC 9842 §2.1): its decoded bytes and what its server offered. */
export interface StoredDictionary {
  readonly url: string;
  readonly match: string;
  readonly id?: string;
  readonly bytes: Uint8Array;
  readonly sha256: Uint8Array;
}

/** Where dictionaries live between requests: in memory by default, on disk with `fileDictionaries`. */
export interface DictionaryStore {
  /** Every stored dictionary (a few per role: one per `match` pattern). */
  list(): Promise<readonly StoredDictionary[]> | readonly StoredDictionary[];
  /** Keeps `dictionary`, replacing the one stored for the same `match`. */
  put(dictionary: StoredDictionary): Promise<void> | void;
}

/** The newest dictionary per `match`, in memory, at most `limit` of them (least recently stored out). */
export function memoryDictionaries(limit = 1024): DictionaryStore {
  const byMatch = new Map<string, StoredDictionary>();
  return {
    list: () => [...byMatch.values()],
    put(dictionary) {
      byMatch.delete(dictionary.match);
      byMatch.set(dictionary.match, dictionary);
      for (const oldest of byMatch.keys()) {
        if (byMatch.size <= limit) break;
        byMatch.delete(oldest);
      }
    },
  };
}

/** Content codings every WHATWG fetch (Node's undici included) decodes before handing out the body. */
const DECODED_BY_FETCH = new Set(["gzip", "x-gzip", "deflate", "br"]);

export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

export interface DeltaFetchOptions {
  readonly zstd: Zstd | Promise<Zstd>;
  /** The transport (default: the global `fetch`); like fetch, it must decode gzip itself. */
  readonly fetch?: FetchFunction;
  readonly dictionaries?: DictionaryStore;
  /** The largest decoded body accepted (default 64 MiB): a dcz body cannot make us allocate more. */
  readonly maxLength?: number;
}

/** RFC 9842 §2.2.3: the most specific pattern (longest match) wins. */
function bestDictionary(dictionaries: readonly StoredDictionary[], url: string): StoredDictionary | null {
  let best: StoredDictionary | null = null;
  for (const d of dictionaries) {
    if (matchesDictionary(d.match, d.url, url) && (!best || d.match.length > best.match.length)) best = d;
  }
  return best;
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

  return async (url, init = {}) => {
    const dictionary = bestDictionary(await dictionaries.list(), url);
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
      const wire = new Uint8Array(await response.arrayBuffer());
      body = await decodeDcz(await options.zstd, wire, dictionary.bytes, dictionary.sha256, maxLength);
      out.delete("Content-Encoding");
      out.set("Content-Length", String(body.length));
    } else {
      body = new Uint8Array(await response.arrayBuffer());
      // A WHATWG fetch has already decoded these: say what the body now is.
      if (coding && DECODED_BY_FETCH.has(coding)) {
        out.delete("Content-Encoding");
        out.set("Content-Length", String(body.length));
      }
    }
    const offer = response.ok ? parseUseAsDictionary(response.headers.get("Use-As-Dictionary")) : null;
    if (offer) await dictionaries.put({ url: response.url || url, ...offer, bytes: body, sha256: await sha256(body) });
    const init2: ResponseInit = { status: response.status, statusText: response.statusText, headers: out };
    return new Response([204, 304].includes(response.status) ? null : (body as Uint8Array<ArrayBuffer>), init2);
  };
}
