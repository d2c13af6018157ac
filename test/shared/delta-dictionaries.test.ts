// The dictionary stores at the size of a real repository: one dictionary per role, 16,384 bins. A
// look-up must cost the same whatever the store holds (issue 22: `verify --cache` read and hashed
// every stored dictionary on every request, O(bins²)), and the store must stay within its bounds.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DictionaryIndex } from "../../shared/delta/dictionaries.js";
import { type DictionaryFiles, fileDictionaries } from "../../scripts/lib/delta.js";
import { sha256 } from "../../shared/delta/dcz.js";

const ORIGIN = "http://127.0.0.1:8787";
const binUrl = (i: number, v = 1) => `${ORIGIN}/metadata/${v}.bins-${i.toString(16).padStart(4, "0")}.json`;
const binMatch = (i: number) => `/metadata/*.bins-${i.toString(16).padStart(4, "0")}.json`;
const bytesOf = (i: number, v = 1) => new TextEncoder().encode(JSON.stringify({ bin: i, version: v }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tuf-edge-dictionaries-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** node:fs/promises, counting each file read. */
function countingFiles() {
  const reads: string[] = [];
  const files: DictionaryFiles = {
    readdir: (d) => fs.readdir(d),
    readFile: async (p) => {
      reads.push(p);
      return new Uint8Array(await fs.readFile(p));
    },
    writeFile: (p, b) => fs.writeFile(p, b),
    mkdir: (d, o) => fs.mkdir(d, o),
    rm: (p, o) => fs.rm(p, o),
  };
  return { files, reads };
}

describe("fileDictionaries", () => {
  const BINS = 4096;

  test("a look-up reads one dictionary, however many the store holds; the records are read once", async () => {
    const store = fileDictionaries(join(dir, "many"));
    for (let i = 0; i < BINS; i++) {
      const bytes = bytesOf(i);
      await store.put({ url: binUrl(i), match: binMatch(i), id: `1.bins-${i}`, bytes, sha256: await sha256(bytes) });
    }
    // The next run: a new process, a new store over the same folder.
    const { files, reads } = countingFiles();
    const next = fileDictionaries(join(dir, "many"), {}, files);
    expect((await next.find(binUrl(0, 2)))?.id).toBe("1.bins-0");
    const afterLoad = reads.length;
    expect(afterLoad).toBe(BINS + 1); // every record once, and one dictionary
    for (let i = 1; i < BINS; i++) {
      const found = await next.find(binUrl(i, 2));
      expect(found?.bytes).toEqual(bytesOf(i));
    }
    expect(reads.length - afterLoad).toBe(BINS - 1); // one read a request
    expect(await next.find(`${ORIGIN}/metadata/2.snapshot.json`)).toBeNull();
    expect(await next.find(`http://other.example/metadata/2.bins-0001.json`)).toBeNull();
  });

  test("the same response again is not written again; a changed one replaces its match", async () => {
    const { files, reads } = countingFiles();
    const writes: string[] = [];
    const store = fileDictionaries(join(dir, "same"), {}, { ...files, writeFile: async (p, b) => (writes.push(p), fs.writeFile(p, b)) });
    const d = async (v: number) => ({ url: binUrl(7, v), match: binMatch(7), id: `${v}.bins-0007.json`, bytes: bytesOf(7, v), sha256: await sha256(bytesOf(7, v)) });
    await store.put(await d(1));
    await store.put(await d(1));
    expect(writes).toHaveLength(2); // bytes and record, once
    await store.put(await d(2));
    expect(writes).toHaveLength(4);
    expect((await store.find(binUrl(7, 3)))?.id).toBe("2.bins-0007.json");
    expect(reads.every((p) => !p.endsWith(".json"))).toBe(true); // an empty folder at first: no records to read
  });

  test("a dictionary whose bytes no longer hash to its record is not used", async () => {
    const store = fileDictionaries(join(dir, "corrupt"));
    await store.put({ url: binUrl(1), match: binMatch(1), bytes: bytesOf(1), sha256: await sha256(bytesOf(1)) });
    const [bin] = (await readdir(join(dir, "corrupt"))).filter((n) => n.endsWith(".bin"));
    await fs.writeFile(join(dir, "corrupt", bin!), "other bytes");
    expect(await fileDictionaries(join(dir, "corrupt")).find(binUrl(1, 2))).toBeNull();
  });

  test("the store keeps at most maxEntries and maxBytes, least recently stored out, on disk too", async () => {
    const store = fileDictionaries(join(dir, "bounded"), { maxEntries: 10, maxBytes: 1_000_000 });
    for (let i = 0; i < 25; i++) await store.put({ url: binUrl(i), match: binMatch(i), bytes: bytesOf(i), sha256: await sha256(bytesOf(i)) });
    expect((await readdir(join(dir, "bounded"))).filter((n) => n.endsWith(".bin"))).toHaveLength(10);
    const reopened = fileDictionaries(join(dir, "bounded"), { maxEntries: 10 });
    expect(await reopened.find(binUrl(14, 2))).toBeNull();
    expect((await reopened.find(binUrl(15, 2)))?.bytes).toEqual(bytesOf(15));

    const small = fileDictionaries(join(dir, "bytes"), { maxBytes: 3 * 100 });
    const big = (i: number) => new Uint8Array(100).fill(i);
    for (let i = 0; i < 6; i++) await small.put({ url: binUrl(i), match: binMatch(i), bytes: big(i), sha256: await sha256(big(i)) });
    expect((await readdir(join(dir, "bytes"))).filter((n) => n.endsWith(".bin"))).toHaveLength(3);
  });
});

describe("DictionaryIndex", () => {
  const entry = (match: string, url = `${ORIGIN}/metadata/1.x.json`) => ({ url, match, sha256: new Uint8Array(32), length: 1 });

  test("the longest matching pattern wins; patterns beyond the understood subset never match", () => {
    const index = new DictionaryIndex();
    index.set(entry("/metadata/*"));
    index.set(entry("/metadata/*.snapshot.json"));
    index.set(entry("/metadata/*.snap*.json"));
    index.set(entry("/metadata/:v.root.json"));
    index.set(entry("*.targets.json")); // relative: resolved against the dictionary's URL
    expect(index.best(`${ORIGIN}/metadata/9.snapshot.json`)?.match).toBe("/metadata/*.snapshot.json");
    expect(index.best(`${ORIGIN}/metadata/9.snapper.json`)?.match).toBe("/metadata/*.snap*.json");
    expect(index.best(`${ORIGIN}/metadata/2.root.json`)?.match).toBe("/metadata/*");
    expect(index.best(`${ORIGIN}/metadata/2.targets.json`)?.match).toBe("*.targets.json");
    expect(index.best(`${ORIGIN}/simple/x/`)).toBeNull();
    index.delete("/metadata/*");
    expect(index.best(`${ORIGIN}/metadata/2.root.json`)).toBeNull();
  });
});
