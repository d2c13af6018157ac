import { encodeDcz } from "../../shared/delta/dcz.js";
import { formatUseAsDictionary, parseAvailableDictionary, parseSfString } from "../../shared/delta/headers.js";
import { fromHex, toHex } from "../../shared/encoding.js";
import { gunzip } from "../storage/gzip.js";
import { type MetadataName, parseMetadataName } from "../storage/metadata-name.js";
import { acceptsCoding } from "./negotiate.js";
import { zstd } from "./zstd.js";

/**
 * Delta updates by Compression Dictionary Transport (RFC 9842, docs/delta.md). Every versioned file
 * offers itself as a dictionary for the later versions of its role, under its own file name as `id`.
 * A client that holds `41.snapshot.json` and asks for `42.snapshot.json` names it in `Dictionary-ID`
 * and its SHA-256 in `Available-Dictionary`; the Worker reads that one file (R2 custom metadata has its
 * hash: no index, nothing new at write time), compresses 42 against 41 and caches the result.
 */
type Versioned = Extract<MetadataName, { kind: "versioned" }>;

/** `match` covers every version of the same role, next to this file (whatever the path prefix). */
export function dictionaryOffer(requestUrl: string, name: Versioned): string {
  const path = new URL(requestUrl).pathname;
  return formatUseAsDictionary({ match: `${path.slice(0, path.lastIndexOf("/") + 1)}*.${name.role}.json`, id: name.name });
}

export interface DeltaRequest {
  /** An older version of the same role, named by the client. */
  readonly dictionary: Versioned;
  readonly dictionarySha256: string;
}

/**
 * The dictionary a request offers for `name`, or null when it cannot have a delta: `dcz` not accepted,
 * no or malformed `Available-Dictionary`, or a `Dictionary-ID` that is not an older version of the role.
 */
export function deltaRequest(request: Request, acceptEncoding: string, name: Versioned): DeltaRequest | null {
  if (!acceptsCoding(acceptEncoding, "dcz")) return null;
  const sha = parseAvailableDictionary(request.headers.get("Available-Dictionary"));
  const id = parseMetadataName(parseSfString(request.headers.get("Dictionary-ID")) ?? "");
  if (!sha || id?.kind !== "versioned" || id.role !== name.role || id.version >= name.version) return null;
  return { dictionary: id, dictionarySha256: toHex(sha) };
}

/** `"<sha256>-dcz-<first 16 hex of the dictionary's sha256>"`: one tag per representation. */
export const dczEtag = (contentSha256: string, delta: DeltaRequest) =>
  `"${contentSha256}-dcz-${delta.dictionarySha256.slice(0, 16)}"`;

export interface StoredBytes {
  /** The stored gzip bytes. */
  readonly gzip: Uint8Array;
  readonly sha256: string;
}

/** A dcz body and the SHA-256 of what it decodes to (for the ETag). */
export interface Delta {
  readonly body: Uint8Array;
  readonly contentSha256: string;
}

/**
 * The dcz body of `file` against `dictionary`, or null when the delta would not be smaller than the
 * stored gzip (a client far behind: every entry differs), so the caller answers gzip as usual.
 */
export async function dczBody(file: StoredBytes, dictionary: StoredBytes): Promise<Uint8Array | null> {
  const content = gunzip(file.gzip);
  const base = gunzip(dictionary.gzip);
  const body = encodeDcz(await zstd(), content, base, { dictionary: fromHex(dictionary.sha256), content: fromHex(file.sha256) });
  return body.length < file.gzip.length ? body : null;
}

const NO_DELTA = "X-Tuf-No-Delta";
const SHA256_HEADER = "X-Tuf-Sha256";
const DELTA_ENTRY = { "Content-Type": "application/octet-stream", "Cache-Control": "public, max-age=31536000, immutable" };

/**
 * The delta of file `name` for `delta`, from this location's cache, else computed once from the two
 * stored files (`load`) and cached: every client one version behind asks for the same pair, and a hit
 * does not even read the file. Null when the dictionary is not ours (absent, deleted, other bytes) or
 * the delta would not be smaller than gzip; that answer is cached too.
 */
export async function cachedDelta(
  requestUrl: string,
  ctx: { waitUntil(promise: Promise<unknown>): void },
  name: string,
  delta: DeltaRequest,
  load: (name: string) => Promise<StoredBytes | null>,
): Promise<Delta | null> {
  const key = new URL(`/.cache/dcz/${name}/${delta.dictionarySha256}`, requestUrl).toString();
  const hit = await caches.default.match(key);
  if (hit) {
    const contentSha256 = hit.headers.get(SHA256_HEADER);
    if (hit.headers.has(NO_DELTA) || !contentSha256) return null;
    return { body: new Uint8Array(await hit.arrayBuffer()), contentSha256 };
  }
  const [file, dictionary] = await Promise.all([load(name), load(delta.dictionary.name)]);
  // Not cached: the file may not exist yet, and an unknown hash costs one read of the dictionary.
  if (!file || !dictionary || dictionary.sha256 !== delta.dictionarySha256) return null;
  const body = await dczBody(file, dictionary);
  const headers = { ...DELTA_ENTRY, [SHA256_HEADER]: file.sha256, ...(body ? {} : { [NO_DELTA]: "1" }) };
  ctx.waitUntil(caches.default.put(key, new Response(body, { headers })));
  return body ? { body, contentSha256: file.sha256 } : null;
}
