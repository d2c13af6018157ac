import { dictionaryPattern, matchesDictionary } from "./headers.js";

/** What a kept dictionary is, without its bytes (RFC 9842 §2.1): its URL and what its server offered. */
export interface DictionaryEntry {
  readonly url: string;
  readonly match: string;
  readonly id?: string;
  readonly sha256: Uint8Array;
  /** Bytes of the dictionary: what the store's byte bound counts. */
  readonly length: number;
  /** Its response said `Cache-Control: immutable`: the bytes at `url` never change. */
  readonly immutable?: boolean;
}

/** A response kept as a dictionary: its entry and its decoded bytes. */
export interface StoredDictionary extends Omit<DictionaryEntry, "length"> {
  readonly bytes: Uint8Array;
}

/**
 * Where dictionaries live between requests: in memory by default, on disk with `fileDictionaries`.
 * A store holds the newest dictionary per `match` and is bounded; `find` reads the bytes of one
 * dictionary at most, so a request costs the same whatever the store holds (a repository offers one
 * dictionary per role: 16,384 bins, 16,384 patterns).
 */
export interface DictionaryStore {
  /** The dictionary that serves `url` (RFC 9842 §2.2.3: the longest matching pattern), or null. */
  find(url: string): Promise<StoredDictionary | null> | StoredDictionary | null;
  /** Keeps `dictionary`, replacing the one stored for the same `match`. */
  put(dictionary: StoredDictionary): Promise<void> | void;
}

export interface DictionaryBounds {
  /** At most this many dictionaries (default 65,536: every role of a 2^16-bin repository). */
  readonly maxEntries?: number;
  /** At most this many bytes in all (default 1 GiB). */
  readonly maxBytes?: number;
}

export const DEFAULT_DICTIONARY_BOUNDS = { maxEntries: 65_536, maxBytes: 1024 * 1024 * 1024 } as const;

/**
 * The entries of a store, indexed by the literal tail of their pattern (the text after its last
 * `*`): a URL's candidates are found by looking up each suffix of its path, never by a scan of every
 * entry. Oldest stored first, so that the bounds evict the least recently stored.
 */
export class DictionaryIndex {
  private readonly byMatch = new Map<string, DictionaryEntry>();
  private readonly byTail = new Map<string, Set<string>>();
  private bytes = 0;

  constructor(private readonly bounds: DictionaryBounds = {}) {}

  get size(): number {
    return this.byMatch.size;
  }

  get(match: string): DictionaryEntry | undefined {
    return this.byMatch.get(match);
  }

  /** Whether `d` is what the store holds for its `match` already (nothing to write). */
  holds(d: StoredDictionary): boolean {
    const known = this.byMatch.get(d.match);
    return !!known && known.url === d.url && known.id === d.id && known.immutable === d.immutable && known.length === d.bytes.length && equalBytes(known.sha256, d.sha256);
  }

  /** Adds or replaces the entry for its `match`; returns the matches evicted to stay within the bounds. */
  set(entry: DictionaryEntry): string[] {
    this.delete(entry.match);
    this.byMatch.set(entry.match, entry);
    this.bytes += entry.length;
    const tail = tailOf(entry);
    if (tail !== null) {
      let set = this.byTail.get(tail);
      if (!set) this.byTail.set(tail, (set = new Set()));
      set.add(entry.match);
    }
    const maxEntries = this.bounds.maxEntries ?? DEFAULT_DICTIONARY_BOUNDS.maxEntries;
    const maxBytes = this.bounds.maxBytes ?? DEFAULT_DICTIONARY_BOUNDS.maxBytes;
    const evicted: string[] = [];
    for (const oldest of this.byMatch.keys()) {
      if (this.byMatch.size <= maxEntries && this.bytes <= maxBytes) break;
      if (oldest === entry.match) continue; // the newest stays, even alone over the byte bound
      this.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  }

  delete(match: string): void {
    const known = this.byMatch.get(match);
    if (!known) return;
    this.byMatch.delete(match);
    this.bytes -= known.length;
    const tail = tailOf(known);
    if (tail !== null) {
      const set = this.byTail.get(tail);
      set?.delete(match);
      if (set?.size === 0) this.byTail.delete(tail);
    }
  }

  /** RFC 9842 §2.2.3: of the entries whose pattern matches `url`, the most specific (longest). */
  best(url: string): DictionaryEntry | null {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return null;
    }
    let best: DictionaryEntry | null = null;
    for (let i = 0; i <= path.length; i++) {
      for (const match of this.byTail.get(path.slice(i)) ?? []) {
        const d = this.byMatch.get(match)!;
        if (matchesDictionary(d.match, d.url, url) && (!best || d.match.length > best.match.length)) best = d;
      }
    }
    return best;
  }
}

/** The literal text after a pattern's last `*` (all of it without one); null for a pattern never usable. */
function tailOf(entry: DictionaryEntry): string | null {
  const pattern = dictionaryPattern(entry.match, entry.url);
  return pattern === null ? null : pattern.slice(pattern.lastIndexOf("*") + 1);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The entry of a dictionary (what an index keeps of it). */
export const entryOf = (d: StoredDictionary): DictionaryEntry => ({
  url: d.url, match: d.match, ...(d.id === undefined ? {} : { id: d.id }), sha256: d.sha256, length: d.bytes.length, ...(d.immutable ? { immutable: true } : {}),
});

/** A stored dictionary's fields but its bytes, from its entry. */
export const storedOf = (e: DictionaryEntry): Omit<StoredDictionary, "bytes"> => ({
  url: e.url, match: e.match, ...(e.id === undefined ? {} : { id: e.id }), sha256: e.sha256, ...(e.immutable ? { immutable: true } : {}),
});

/** The newest dictionary per `match`, in memory, within `bounds` (least recently stored out). */
export function memoryDictionaries(bounds: DictionaryBounds = { maxEntries: 1024 }): DictionaryStore {
  const index = new DictionaryIndex(bounds);
  const bytes = new Map<string, Uint8Array>();
  return {
    find(url) {
      const entry = index.best(url);
      return entry ? { ...storedOf(entry), bytes: bytes.get(entry.match)! } : null;
    },
    put(d) {
      if (index.holds(d)) return;
      bytes.set(d.match, d.bytes);
      for (const evicted of index.set(entryOf(d))) bytes.delete(evicted);
    },
  };
}
