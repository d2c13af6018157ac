// The dictionary stores at the size of a real repository: one dictionary per role, 16,384 bins. A
// look-up must cost the same whatever the store holds (issue 22: `verify --cache` read and hashed
// every stored dictionary on every request, O(bins²)), and the store must stay within its bounds.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import * as fs from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DictionaryIndex, type DictionaryStore } from "../../shared/delta/dictionaries.js";
import { type DictionaryFiles, fileDictionaries } from "../../scripts/lib/delta.js";
import { nodeFiles } from "../../scripts/lib/dictionary-files.js";

const ORIGIN = "http://127.0.0.1:8787";
const binUrl = (i: number, v = 1) => `${ORIGIN}/metadata/${v}.bins-${i.toString(16).padStart(4, "0")}.json`;
const binMatch = (i: number) => `/metadata/*.bins-${i.toString(16).padStart(4, "0")}.json`;
const bytesOf = (i: number, v = 1) => new TextEncoder().encode(JSON.stringify({ bin: i, version: v }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tuf-edge-dictionaries-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** node:fs/promises, counting what the store reads and writes. */
function countingFiles() {
  const reads: string[] = [];
  const writes: string[] = [];
  const files: DictionaryFiles = {
    async open(path, flags) {
      const handle = await nodeFiles.open(path, flags);
      return {
        read: (b, o, l, p) => (reads.push(path), handle.read(b, o, l, p)),
        write: (b, o, l, p) => (writes.push(path), handle.write(b, o, l, p)),
        stat: () => handle.stat(),
        close: () => handle.close(),
      };
    },
    readFile: async (path) => {
      reads.push(path);
      return new Uint8Array(await fs.readFile(path));
    },
    mkdir: (d, o) => fs.mkdir(d, o),
    rename: (a, b) => fs.rename(a, b),
    rm: (p, o) => fs.rm(p, o),
  };
  return { files, reads, writes };
}

const put = (store: DictionaryStore, i: number, v = 1, bytes = bytesOf(i, v)) =>
  store.put({ url: binUrl(i, v), match: binMatch(i), id: `${v}.bins-${i}`, bytes, sha256: createHash("sha256").update(bytes).digest() });

describe("fileDictionaries", () => {
  const BINS = 4096;

  test("a look-up reads one dictionary, however many the store holds; the log is read once", async () => {
    const store = fileDictionaries(join(dir, "many"));
    for (let i = 0; i < BINS; i++) await put(store, i);
    // The next run: a new process, a new store over the same folder.
    const { files, reads } = countingFiles();
    const next = fileDictionaries(join(dir, "many"), {}, files);
    expect((await next.find(binUrl(0, 2)))?.id).toBe("1.bins-0");
    expect(reads).toHaveLength(2); // the log, once, and the one dictionary used
    for (let i = 1; i < BINS; i++) expect((await next.find(binUrl(i, 2)))?.bytes).toEqual(bytesOf(i));
    expect(reads).toHaveLength(BINS + 1); // then one read a request
    expect(await next.find(`${ORIGIN}/metadata/2.snapshot.json`)).toBeNull();
    expect(await next.find("http://other.example/metadata/2.bins-0001.json")).toBeNull();
    expect(reads).toHaveLength(BINS + 1); // no match, no read
  });

  test("the same response again is not written again; a changed one replaces its match", async () => {
    const { files, writes } = countingFiles();
    const store = fileDictionaries(join(dir, "same"), {}, files);
    await put(store, 7, 1);
    await put(store, 7, 1);
    expect(writes).toHaveLength(2); // bytes and record, once
    await put(store, 7, 2);
    expect(writes).toHaveLength(4);
    expect((await store.find(binUrl(7, 3)))?.id).toBe("2.bins-7");
    expect((await fileDictionaries(join(dir, "same")).find(binUrl(7, 3)))?.id).toBe("2.bins-7");
  });

  test("responses stored at once are written together, and each is found again", async () => {
    const { files, writes } = countingFiles();
    const store = fileDictionaries(join(dir, "together"), {}, files);
    await Promise.all(Array.from({ length: 64 }, (_, i) => put(store, i)));
    expect(writes.length).toBeLessThan(16); // 128 single writes without coalescing
    const reopened = fileDictionaries(join(dir, "together"));
    for (let i = 0; i < 64; i++) expect((await reopened.find(binUrl(i, 2)))?.bytes).toEqual(bytesOf(i));
  });

  test("a dictionary whose bytes no longer hash to its record is not used; a torn log line is skipped", async () => {
    const store = fileDictionaries(join(dir, "corrupt"));
    await put(store, 1);
    await put(store, 2);
    const pack = await fs.open(join(dir, "corrupt", "dictionaries.pack"), "r+");
    await pack.write(Buffer.from("XX"), 0, 2, 0);
    await pack.close();
    await fs.appendFile(join(dir, "corrupt", "dictionaries.log"), '{"url":"http://127.0.0.1:8787/metadata/1.bins-0003.json","mat');
    const reopened = fileDictionaries(join(dir, "corrupt"));
    expect(await reopened.find(binUrl(1, 2))).toBeNull();
    expect((await reopened.find(binUrl(2, 2)))?.bytes).toEqual(bytesOf(2));
    expect(await reopened.find(binUrl(3, 2))).toBeNull();
  });

  test("the store keeps at most maxEntries and maxBytes, least recently stored out, across runs", async () => {
    const store = fileDictionaries(join(dir, "bounded"), { maxEntries: 10 });
    for (let i = 0; i < 25; i++) await put(store, i);
    expect(await store.find(binUrl(14, 2))).toBeNull();
    const reopened = fileDictionaries(join(dir, "bounded"), { maxEntries: 10 });
    expect(await reopened.find(binUrl(14, 2))).toBeNull();
    expect((await reopened.find(binUrl(15, 2)))?.bytes).toEqual(bytesOf(15));

    const small = fileDictionaries(join(dir, "bytes"), { maxBytes: 3 * 100 });
    for (let i = 0; i < 6; i++) await put(small, i, 1, new Uint8Array(100).fill(i));
    const found = await Promise.all([0, 1, 2, 3, 4, 5].map(async (i) => (await small.find(binUrl(i, 2))) !== null));
    expect(found).toEqual([false, false, false, true, true, true]);
  });

  test("the space of replaced dictionaries is reclaimed when a run opens the store", async () => {
    const store = fileDictionaries(join(dir, "reclaim"));
    for (let v = 1; v <= 1200; v++) await put(store, 5, v); // one role, 1,200 versions: 1 live
    await put(store, 6, 1);
    const before = (await fs.stat(join(dir, "reclaim", "dictionaries.pack"))).size;
    const reopened = fileDictionaries(join(dir, "reclaim"));
    expect((await reopened.find(binUrl(5, 1201)))?.bytes).toEqual(bytesOf(5, 1200));
    expect((await reopened.find(binUrl(6, 2)))?.bytes).toEqual(bytesOf(6, 1));
    const after = (await fs.stat(join(dir, "reclaim", "dictionaries.pack"))).size;
    expect(after).toBe(bytesOf(5, 1200).length + bytesOf(6, 1).length);
    expect(after).toBeLessThan(before / 100);
    expect((await fs.readFile(join(dir, "reclaim", "dictionaries.log"), "utf8")).trim().split("\n")).toHaveLength(2);
    await put(reopened, 7, 1); // and it keeps working after the swap
    expect((await fileDictionaries(join(dir, "reclaim")).find(binUrl(7, 2)))?.bytes).toEqual(bytesOf(7, 1));
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
