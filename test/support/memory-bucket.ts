import { R2Rules } from "./r2-rules.js";

/**
 * An in-memory stand-in for the R2Bucket methods the publish core uses (get, put with onlyIf
 * etagMatches / etagDoesNotMatch, head, delete, list), so the core runs in plain Node: in the core
 * benchmark and in the commit-protocol tests. `beforePut` lets a test fail or race any write.
 * It keeps R2's production rules (r2-rules.ts): at most 1,000 keys a delete, one write a second per
 * key, in real time unless `clock` (R2's clock, also for `uploaded`) says otherwise; `{ rules: false }` only for the core benchmark,
 * which measures CPU and commits faster than R2 would take.
 */

interface Stored {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly etag: string;
  readonly uploaded: Date;
  readonly httpMetadata: R2HTTPMetadata;
  readonly customMetadata: Record<string, string>;
}

export type PutHook = (key: string, bucket: MemoryBucket) => void | Promise<void>;

function objectOf(s: Stored, withBody: boolean): R2Object | R2ObjectBody {
  const base = {
    key: s.key,
    version: s.etag,
    size: s.bytes.length,
    etag: s.etag,
    httpEtag: `"${s.etag}"`,
    uploaded: s.uploaded,
    httpMetadata: s.httpMetadata,
    customMetadata: s.customMetadata,
    checksums: {} as R2Checksums,
    storageClass: "Standard",
    writeHttpMetadata: () => {},
  };
  if (!withBody) return base as unknown as R2Object;
  const bytes = s.bytes;
  return {
    ...base,
    get body() {
      return new Response(bytes).body!;
    },
    bodyUsed: false,
    arrayBuffer: async () => new Uint8Array(bytes).buffer,
    bytes: async () => new Uint8Array(bytes),
    text: async () => new TextDecoder().decode(bytes),
    json: async () => JSON.parse(new TextDecoder().decode(bytes)),
    blob: async () => new Blob([bytes]),
  } as unknown as R2ObjectBody;
}

async function toBytes(value: unknown): Promise<Uint8Array> {
  if (value === null || value === undefined) return new Uint8Array();
  if (typeof value === "string") return new TextEncoder().encode(value);
  // A copy in a fresh buffer of its own (Buffer's slice is a view of a shared pool).
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  return new Uint8Array(await new Response(value as BodyInit).arrayBuffer());
}

export class MemoryBucket {
  readonly objects = new Map<string, Stored>();
  /** Counts of calls by method, like the Worker's own R2 counters. */
  readonly calls: Record<string, number> = {};
  /** Keys of the puts that succeeded, in order. */
  readonly written: string[] = [];
  /** Runs before every put is applied; throw from it to make the put fail. */
  beforePut?: PutHook;
  /** R2's rules, null when switched off; `rules.violations` lists what was refused. */
  readonly rules: R2Rules | null;
  private etags = 0;

  /** R2's clock: when objects are `uploaded`, and what the one-write-a-second rule counts in. */
  private readonly clock: () => number;

  constructor(options: { rules?: boolean; clock?: () => number } = {}) {
    this.clock = options.clock ?? Date.now;
    this.rules = options.rules === false ? null : new R2Rules(this.clock);
  }

  private count(method: string) {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  async get(key: string, options: R2GetOptions = {}): Promise<R2ObjectBody | null> {
    this.count("get");
    const s = this.objects.get(key);
    if (!s) return null;
    // A range read answers those bytes (R2's `range: {offset, length}`); the object's size stays whole.
    const range = options.range as { offset?: number; length?: number } | undefined;
    if (!range) return objectOf(s, true) as R2ObjectBody;
    const offset = range.offset ?? 0;
    const ranged = { ...s, bytes: s.bytes.slice(offset, range.length === undefined ? undefined : offset + range.length) };
    return { ...(objectOf(ranged, true) as R2ObjectBody), size: s.bytes.length } as R2ObjectBody;
  }

  async head(key: string): Promise<R2Object | null> {
    this.count("head");
    const s = this.objects.get(key);
    return s ? objectOf(s, false) : null;
  }

  async put(key: string, value: unknown, options: R2PutOptions = {}): Promise<R2Object | null> {
    this.count("put");
    await this.beforePut?.(key, this);
    const bytes = await toBytes(value);
    const current = this.objects.get(key);
    const onlyIf = options.onlyIf as R2Conditional | undefined;
    if (onlyIf?.etagDoesNotMatch !== undefined) {
      if (current && (onlyIf.etagDoesNotMatch === "*" || onlyIf.etagDoesNotMatch === current.etag)) return null;
    }
    if (onlyIf?.etagMatches !== undefined) {
      if (!current || (onlyIf.etagMatches !== "*" && onlyIf.etagMatches !== current.etag)) return null;
    }
    this.rules?.checkPut(key);
    const stored: Stored = {
      key,
      bytes,
      etag: `m${++this.etags}`,
      uploaded: new Date(this.clock()),
      httpMetadata: (options.httpMetadata as R2HTTPMetadata | undefined) ?? {},
      customMetadata: options.customMetadata ?? {},
    };
    this.objects.set(key, stored);
    this.rules?.wrote(key);
    this.written.push(key);
    return objectOf(stored, false);
  }

  async delete(keys: string | string[]): Promise<void> {
    this.count("delete");
    this.rules?.checkDelete(keys);
    for (const key of Array.isArray(keys) ? keys : [keys]) this.objects.delete(key);
  }

  async list(options: R2ListOptions = {}): Promise<R2Objects> {
    this.count("list");
    const prefix = options.prefix ?? "";
    // The cursor is the last key (or common prefix) of the page before: go on after it.
    const after = options.cursor ?? options.startAfter;
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (!after || k > after)).sort();
    // With a delimiter, keys below it roll up into one common prefix each, as R2 lists them.
    const entries: { key: string; prefix?: string }[] = [];
    for (const k of keys) {
      const cut = options.delimiter ? k.indexOf(options.delimiter, prefix.length) : -1;
      if (cut < 0) entries.push({ key: k });
      else if (entries.at(-1)?.prefix !== k.slice(0, cut + 1)) entries.push({ key: k, prefix: k.slice(0, cut + 1) });
    }
    const limit = options.limit ?? 1000;
    const page = entries.slice(0, limit);
    const objects = page.filter((e) => !e.prefix).map((e) => objectOf(this.objects.get(e.key)!, false));
    const delimitedPrefixes = page.flatMap((e) => (e.prefix ? [e.prefix] : []));
    if (page.length === entries.length) return { objects, truncated: false, delimitedPrefixes };
    const last = page[page.length - 1]!;
    // After a common prefix, the next page starts past every key under it.
    return { objects, truncated: true, cursor: last.prefix ? `${last.prefix}\uffff` : last.key, delimitedPrefixes };
  }

  /** As the Worker binding's type, for MetadataStore and friends. */
  asR2(): R2Bucket {
    return this as unknown as R2Bucket;
  }
}
