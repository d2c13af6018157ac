// createDeltaFetch on its own: what it sends, what it keeps, what it returns, and that a corrupt dcz
// answer rejects instead of returning other bytes. The transport here is a small RFC 9842 server in
// the test (the Worker itself is exercised in test/worker/delta.test.ts).
import { beforeAll, describe, expect, test } from "vitest";
import { DczError, encodeDcz, sha256 } from "../../shared/delta/dcz.js";
import { type FetchFunction, REUSED_HEADER, createDeltaFetch, memoryDictionaries } from "../../shared/delta/fetch.js";
import { parseAvailableDictionary, parseSfString } from "../../shared/delta/headers.js";
import type { Zstd } from "../../shared/delta/zstd.js";
import { loadZstd } from "../../scripts/lib/delta.js";

const BASE = "https://tuf.example/metadata/";
const utf8 = (s: string) => new TextEncoder().encode(s);
const files = new Map<string, Uint8Array>(
  [41, 42, 43].map((v) => [`${v}.snapshot.json`, utf8(JSON.stringify({ signed: { version: v, meta: Array.from({ length: 500 }, (_, i) => i) } }))]),
);

let zstd: Zstd;
beforeAll(async () => {
  zstd = await loadZstd();
});

/** Serves `files` the way the Worker does, recording each request; `corrupt` alters dcz bodies. */
function server(corrupt?: (body: Uint8Array) => Uint8Array, cacheControl?: string) {
  const seen: Headers[] = [];
  const transport: FetchFunction = async (url, init) => {
    const headers = new Headers(init?.headers);
    seen.push(headers);
    const name = url.slice(BASE.length);
    const content = files.get(name);
    if (!content) return new Response("{}", { status: 404 });
    const out = new Headers({ "Use-As-Dictionary": `match="/metadata/*.snapshot.json", id="${name}"` });
    if (cacheControl) out.set("Cache-Control", cacheControl);
    const id = parseSfString(headers.get("Dictionary-ID"));
    const dictionary = id ? files.get(id) : undefined;
    const sha = parseAvailableDictionary(headers.get("Available-Dictionary"));
    if (dictionary && sha && /dcz/.test(headers.get("Accept-Encoding") ?? "")) {
      const body = encodeDcz(zstd, content, dictionary, { dictionary: sha, content: await sha256(content) });
      out.set("Content-Encoding", "dcz");
      return new Response(corrupt ? corrupt(body) : body, { headers: out });
    }
    return new Response(content, { headers: out });
  };
  return { seen, transport };
}

describe("createDeltaFetch", () => {
  test("the first request names no dictionary; later ones name the last version, and get the signed bytes", async () => {
    const { seen, transport } = server();
    const deltaFetch = createDeltaFetch({ zstd, fetch: transport });
    for (const v of [41, 42, 43]) {
      const res = await deltaFetch(`${BASE}${v}.snapshot.json`);
      expect(new Uint8Array(await res.arrayBuffer())).toEqual(files.get(`${v}.snapshot.json`));
      expect(res.headers.get("Content-Encoding")).toBeNull();
    }
    expect(seen[0]!.has("Available-Dictionary")).toBe(false);
    expect(seen[1]!.get("Dictionary-ID")).toBe('"41.snapshot.json"');
    expect(parseAvailableDictionary(seen[1]!.get("Available-Dictionary"))).toEqual(await sha256(files.get("41.snapshot.json")!));
    expect(seen[2]!.get("Dictionary-ID")).toBe('"42.snapshot.json"');
    expect(seen[2]!.get("Accept-Encoding")).toBe("dcz, gzip");
  });

  test("a URL no dictionary matches is fetched plainly; a 404 is not kept", async () => {
    const { seen, transport } = server();
    const dictionaries = memoryDictionaries();
    const deltaFetch = createDeltaFetch({ zstd, fetch: transport, dictionaries });
    await deltaFetch(`${BASE}41.snapshot.json`);
    expect((await deltaFetch(`${BASE}1.targets.json`)).status).toBe(404);
    expect(seen[1]!.has("Available-Dictionary")).toBe(false);
    expect((await dictionaries.find(`${BASE}42.snapshot.json`))?.id).toBe("41.snapshot.json");
    expect(await dictionaries.find(`${BASE}2.targets.json`)).toBeNull();
  });

  test.each([
    ["truncated", (b: Uint8Array) => b.subarray(0, b.length - 1)],
    ["a byte flipped in the frame", (b: Uint8Array) => b.map((x, i) => (i === 45 ? x ^ 1 : x))],
    ["the trailer dropped", (b: Uint8Array) => b.subarray(0, b.length - 40)],
  ])("a dcz body %s rejects with DczError", async (_, corrupt) => {
    const { transport } = server(corrupt);
    const deltaFetch = createDeltaFetch({ zstd, fetch: transport });
    await deltaFetch(`${BASE}41.snapshot.json`);
    await expect(deltaFetch(`${BASE}42.snapshot.json`)).rejects.toBeInstanceOf(DczError);
  });

  test("a dcz answer to a request that named no dictionary rejects", async () => {
    const transport: FetchFunction = async () => new Response(new Uint8Array(100), { headers: { "Content-Encoding": "dcz" } });
    await expect(createDeltaFetch({ zstd, fetch: transport })(`${BASE}41.snapshot.json`)).rejects.toThrow(/named no dictionary/);
  });

  test("a file answered `immutable` is not asked for again: its kept bytes answer (a returning client fetches what changed)", async () => {
    const { seen, transport } = server(undefined, "public, max-age=31536000, immutable");
    const deltaFetch = createDeltaFetch({ zstd, fetch: transport });
    await deltaFetch(`${BASE}41.snapshot.json`);
    const again = await deltaFetch(`${BASE}41.snapshot.json`);
    expect(seen).toHaveLength(1);
    expect(again.headers.get(REUSED_HEADER)).toBe("1");
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(files.get("41.snapshot.json"));
    await deltaFetch(`${BASE}42.snapshot.json`); // another version: asked for, as a delta
    expect(seen).toHaveLength(2);
    expect(seen[1]!.get("Dictionary-ID")).toBe('"41.snapshot.json"');

    // Without `immutable` (a timestamp), or with reuse off, every request goes out.
    const plain = server(undefined, "public, max-age=30");
    const fetchPlain = createDeltaFetch({ zstd, fetch: plain.transport });
    await fetchPlain(`${BASE}41.snapshot.json`);
    await fetchPlain(`${BASE}41.snapshot.json`);
    expect(plain.seen).toHaveLength(2);
    const off = server(undefined, "immutable");
    const fetchOff = createDeltaFetch({ zstd, fetch: off.transport, reuseImmutable: false });
    await fetchOff(`${BASE}41.snapshot.json`);
    await fetchOff(`${BASE}41.snapshot.json`);
    expect(off.seen).toHaveLength(2);
  });

  test("the store keeps the newest per match, and at most `limit`", async () => {
    const store = memoryDictionaries({ maxEntries: 2 });
    const d = (match: string, id: string) => ({ url: BASE, match, id, bytes: utf8(id), sha256: new Uint8Array(32).fill(Number(id)) });
    store.put(d("/a/*", "1"));
    store.put(d("/b/*", "2"));
    store.put(d("/a/*", "3"));
    store.put(d("/c/*", "4"));
    const ids = await Promise.all(["/a/x", "/b/x", "/c/x"].map(async (p) => (await store.find(`https://tuf.example${p}`))?.id ?? null));
    expect(ids).toEqual(["3", null, "4"]);
  });
});
