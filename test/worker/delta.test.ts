// Delta updates over RFC 9842 (docs/delta.md): the Worker offers each versioned file as a dictionary
// for the next versions of its role, answers dcz when a client names one it still holds, and answers
// everyone else exactly as before. Checked on the wire (node:http), with the zstd command, with our
// delta fetch, and with tuf-js through DeltaFetcher.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { decodeDcz } from "../../shared/delta/dcz.js";
import { formatAvailableDictionary } from "../../shared/delta/headers.js";
import { binFor } from "../../shared/bins.js";
import { fromHex, sha256Hex } from "../../shared/encoding.js";
import { DeltaFetcher, createNodeDeltaFetch, fileDictionaries, loadZstd } from "../../scripts/lib/delta.js";
import { MetadataStore } from "../../worker/storage/metadata-store.js";
import { type FixtureRepository, type FixtureTarget, generateRepository, storeRepository } from "../support/fixture-repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { type RawResponse, rawRequest } from "./read-support.js";

const target = (path: string, text: string): FixtureTarget => ({ path, bytes: new TextEncoder().encode(text) });
const FIRST = target("packages/ab/cd/ef01/example-1.0-py3-none-any.whl", "wheel 1.0");
const SECOND = target("packages/ab/cd/ef02/example-1.1-py3-none-any.whl", "wheel 1.1");

let w: TestWorker;
let before: FixtureRepository;
let after: FixtureRepository;
let dir: string;
/** Where a tuf-js client keeps its metadata and its dictionaries between runs. */
let client: { metadataDir: string; dictionaries: string };
/** What went over the wire for the delta clients: one line per response. */
const wire: { url: string; coding: string | null; length: number }[] = [];
const counting = async (url: string, init?: RequestInit) => {
  const response = await fetch(url, init);
  wire.push({ url, coding: response.headers.get("Content-Encoding"), length: Number(response.headers.get("Content-Length")) });
  return response;
};
const deltaUpdater = () =>
  new Updater({
    metadataBaseUrl: `${w.url}/metadata`,
    metadataDir: client.metadataDir,
    fetcher: new DeltaFetcher({ fetch: counting, dictionaries: fileDictionaries(client.dictionaries) }),
  });

beforeAll(async () => {
  w = await startWorker();
  dir = mkdtempSync(join(tmpdir(), "tuf-edge-delta-"));
  const now = Date.now();
  before = await generateRepository({ bits: 4, targets: [FIRST], now });
  const seeds = before.seeds;
  after = await generateRepository({ bits: 4, targets: [FIRST, SECOND], now, seeds, versions: { bins: 2, snapshot: 2, timestamp: 2 } });
  await storeRepository(await w.metadata(), before.files);
  // A tuf-js client with the delta fetcher refreshes at the first state ...
  client = { metadataDir: join(dir, "metadata"), dictionaries: join(dir, "dictionaries") };
  mkdirSync(client.metadataDir);
  writeFileSync(join(client.metadataDir, "root.json"), before.rootBytes);
  const updater = deltaUpdater();
  await updater.refresh();
  expect(await updater.getTargetInfo(FIRST.path)).toBeDefined();
  // ... then the next commit is published.
  await storeRepository(await w.metadata(), after.files);
});
afterAll(async () => {
  await w.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = (name: string, headers: Record<string, string> = {}, method = "GET") => rawRequest(w.url, `/metadata/${name}`, { method, headers });
const file = (repo: FixtureRepository, name: string) => repo.files.get(name)!;
const offering = (name: string) => ({
  "Accept-Encoding": "dcz, gzip",
  "Available-Dictionary": formatAvailableDictionary(fromHex(sha256Hex(file(before, name)))),
  "Dictionary-ID": `"${name}"`,
});
const decode = async (res: RawResponse, dictionary: Uint8Array) =>
  decodeDcz(await loadZstd(), new Uint8Array(res.body), dictionary, fromHex(sha256Hex(dictionary)), 1 << 24);

describe("dictionaries offered", () => {
  test("every versioned file offers itself for the later versions of its role; the timestamp does not", async () => {
    const bin = before.binFileOf(FIRST.path);
    const role = before.binOf(FIRST.path);
    for (const [name, match] of [["1.snapshot.json", "*.snapshot.json"], [bin, `*.${role}.json`], ["1.targets.json", "*.targets.json"], ["1.root.json", "*.root.json"]]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await get(name!, { "Accept-Encoding": "gzip" }, method);
        expect(res.headers["use-as-dictionary"], name).toBe(`match="/metadata/${match}", id="${name}"`);
        expect(res.headers.vary).toBe("Accept-Encoding, Available-Dictionary");
      }
    }
    const timestamp = await get("timestamp.json", { "Accept-Encoding": "gzip" });
    expect(timestamp.headers["use-as-dictionary"]).toBeUndefined();
    expect(timestamp.headers.vary).toBe("Accept-Encoding");
  });
});

describe("dcz answers", () => {
  for (const pick of ["snapshot", "bin"] as const) {
    test(`the ${pick} against the version before it: dcz, decoded by us and by the zstd command to the signed bytes`, async () => {
      const [old, next] = pick === "snapshot" ? ["1.snapshot.json", "2.snapshot.json"] : [before.binFileOf(FIRST.path), after.binFileOf(FIRST.path)];
      const res = await get(next, offering(old));
      expect(res.status).toBe(200);
      expect(res.headers["content-encoding"]).toBe("dcz");
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
      expect(Number(res.headers["content-length"])).toBe(res.body.length);
      const sha = sha256Hex(file(after, next));
      expect(res.headers.etag).toBe(`"${sha}-dcz-${sha256Hex(file(before, old)).slice(0, 16)}"`);
      expect(res.headers["use-as-dictionary"]).toBe(`match="/metadata/*.${next.split(".")[1]}.json", id="${next}"`);
      expect(await decode(res, file(before, old))).toEqual(file(after, next));
      const dictionary = join(dir, old);
      writeFileSync(dictionary, file(before, old));
      expect(new Uint8Array(execFileSync("zstd", ["-d", "-c", "-D", dictionary], { input: res.body }))).toEqual(file(after, next));
      const gzip = await get(next, { "Accept-Encoding": "gzip" });
      expect(res.body.length).toBeLessThan(gzip.body.length);
      // Asked again (now from this location's cache): the same bytes.
      expect((await get(next, offering(old))).body).toEqual(res.body);
    });
  }
});

describe("no dictionary we can use: exactly the answer without one", () => {
  const next = "2.snapshot.json";
  const strip = (res: RawResponse) => ({ status: res.status, coding: res.headers["content-encoding"], etag: res.headers.etag, body: res.body });
  const wrongHash = formatAvailableDictionary(fromHex(sha256Hex("other bytes")));
  test.each([
    ["an unknown dictionary (hash of other bytes)", { "Available-Dictionary": wrongHash }],
    ["dcz not accepted", { "Accept-Encoding": "gzip" }],
    ["dcz refused with q=0", { "Accept-Encoding": "dcz;q=0, gzip" }],
    ["no Dictionary-ID", { "Dictionary-ID": "" }],
    ["a Dictionary-ID of another role", { "Dictionary-ID": `"1.${binFor(FIRST.path, 4, "bins")}.json"` }],
    ["a Dictionary-ID that is not a version before", { "Dictionary-ID": '"2.snapshot.json"' }],
    ["a Dictionary-ID that is not a string", { "Dictionary-ID": "1.snapshot.json" }],
    ["a Dictionary-ID of a file that does not exist", { "Dictionary-ID": '"0.snapshot.json"' }],
    ["a malformed Available-Dictionary", { "Available-Dictionary": "sha-256=abc" }],
  ])("%s", async (_, change: Record<string, string>) => {
    const headers = Object.fromEntries(Object.entries({ ...offering("1.snapshot.json"), ...change }).filter(([, v]) => v !== ""));
    const accepted: Record<string, string> = headers["Accept-Encoding"]!.includes("gzip") ? { "Accept-Encoding": "gzip" } : {};
    expect(strip(await get(next, headers))).toEqual(strip(await get(next, accepted)));
    // A client that accepts dcz but not gzip gets plain JSON.
    const plain = await get(next, { ...headers, "Accept-Encoding": "dcz" });
    if (change["Accept-Encoding"] === undefined) expect(strip(plain)).toEqual(strip(await get(next)));
  });

  test("a delta that would not be smaller than gzip is not sent (and that answer is cached)", async () => {
    // A tiny file against unrelated bytes: the 80 bytes of dcz framing alone exceed the gzip body.
    const store = new MetadataStore(await w.metadata());
    const tiny = (text: string) => new TextEncoder().encode(JSON.stringify({ signed: { note: text } }));
    await store.create("1.tiny.json", tiny("a".repeat(200)));
    await store.create("2.tiny.json", tiny("0123456789abcdef".repeat(2)));
    const headers = {
      "Accept-Encoding": "dcz, gzip",
      "Available-Dictionary": formatAvailableDictionary(fromHex(sha256Hex(tiny("a".repeat(200))))),
      "Dictionary-ID": '"1.tiny.json"',
    };
    const gzip = await get("2.tiny.json", { "Accept-Encoding": "gzip" });
    for (let i = 0; i < 2; i++) {
      const res = await get("2.tiny.json", headers);
      expect(res.headers["content-encoding"]).toBe("gzip");
      expect(res.headers.etag).toBe(gzip.headers.etag);
      expect(res.body).toEqual(gzip.body);
    }
  });

  test("HEAD never computes a delta", async () => {
    const res = await get(next, offering("1.snapshot.json"), "HEAD");
    expect(res.headers["content-encoding"]).toBe("gzip");
  });
});

describe("one ETag per representation (RFC 9110 §8.8.3)", () => {
  test("If-None-Match of one representation never answers 304 for another", async () => {
    const next = "2.snapshot.json";
    const identity = await get(next);
    const gzip = await get(next, { "Accept-Encoding": "gzip" });
    const dcz = await get(next, offering("1.snapshot.json"));
    const tags = [identity.headers.etag!, gzip.headers.etag!, dcz.headers.etag!];
    expect(new Set(tags).size).toBe(3);
    const requests: Record<string, string>[] = [{}, { "Accept-Encoding": "gzip" }, offering("1.snapshot.json")];
    for (const [i, headers] of requests.entries()) {
      for (const [j, tag] of tags.entries()) {
        const res = await get(next, { ...headers, "If-None-Match": tag });
        expect(res.status, `request ${i} with tag ${j}`).toBe(i === j ? 304 : 200);
        if (i === j) expect(res.headers.etag).toBe(tag);
      }
    }
  });
});

describe("clients", () => {
  test("tuf-js with DeltaFetcher: a returning client gets the snapshot and its bin as dcz, and verifies them", async () => {
    wire.length = 0;
    const updater = deltaUpdater();
    await updater.refresh();
    const info = await updater.getTargetInfo(SECOND.path);
    expect(info?.hashes.sha256).toBe(sha256Hex(SECOND.bytes));
    const byName = Object.fromEntries(wire.map((r) => [r.url.split("/").pop(), r]));
    expect(byName["2.snapshot.json"]!.coding).toBe("dcz");
    expect(byName[after.binFileOf(SECOND.path)]!.coding).toBe(after.binOf(SECOND.path) === after.binOf(FIRST.path) ? "dcz" : "gzip");
    expect(byName["timestamp.json"]!.coding).toBe("gzip");
  });

  test("createDeltaFetch returns the decoded bytes; a fresh one (no dictionary) gets gzip like any client", async () => {
    const deltaFetch = createNodeDeltaFetch({ fetch: counting });
    wire.length = 0;
    const first = await deltaFetch(`${w.url}/metadata/1.snapshot.json`);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(file(before, "1.snapshot.json"));
    const second = await deltaFetch(`${w.url}/metadata/2.snapshot.json`);
    expect(second.headers.get("Content-Encoding")).toBeNull();
    expect(new Uint8Array(await second.arrayBuffer())).toEqual(file(after, "2.snapshot.json"));
    expect(wire.map((r) => r.coding)).toEqual(["gzip", "dcz"]);
    // Both came back decoded, and their headers say so.
    expect(first.headers.get("Content-Encoding")).toBeNull();
    expect(Number(first.headers.get("Content-Length"))).toBe(file(before, "1.snapshot.json").length);
  });
});
