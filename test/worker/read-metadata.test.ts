import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { refresh } from "../../shared/client.js";
import { sha256Hex } from "../../shared/encoding.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Timestamp } from "../../shared/metadata/timestamp.js";
import { MetadataStore, metadataKey } from "../../worker/storage/metadata-store.js";
import { type FixtureRepository, buildRepository } from "../support/fixture-repo.js";
import { waitFor } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { entityHeaders, rawRequest } from "./read-support.js";

const IMMUTABLE = "public, max-age=31536000, immutable";
const TARGET = "packages/ab/cd/ef01/example-1.0-py3-none-any.whl";

let w: TestWorker;
let repo: FixtureRepository;
/** One of each kind: the timestamp, two roots, targets, snapshot, a bin with a target and an empty one. */
let names: string[];

beforeAll(async () => {
  w = await startWorker({ vars: { TIMESTAMP_MAX_AGE: "7" } });
  repo = await buildRepository({
    metadata: await w.metadata(),
    bits: 4,
    rootVersions: 2,
    versions: { targets: 3, bins: 5, snapshot: 7, timestamp: 9 },
    targets: [{ path: TARGET, bytes: new TextEncoder().encode("wheel bytes") }],
  });
  names = ["timestamp.json", "1.root.json", "2.root.json", "3.targets.json", "7.snapshot.json", repo.binFileOf(TARGET), [...repo.emptyBins][0]!];
});
afterAll(() => w.close());

const get = (name: string, headers: Record<string, string> = {}, method = "GET") =>
  rawRequest(w.url, `/metadata/${name}`, { method, headers });

describe("content encoding on the wire", () => {
  test.each(["gzip", "x-gzip", "gzip, deflate", "deflate, gzip;q=0.5", "identity;q=0.5, gzip"])(
    "Accept-Encoding %j: the stored gzip, compressed exactly once",
    async (acceptEncoding) => {
      for (const name of names) {
        const res = await get(name, { "Accept-Encoding": acceptEncoding });
        expect(res.status, name).toBe(200);
        expect(res.headers["content-encoding"]).toBe("gzip");
        expect(res.headers["content-type"]).toBe("application/json");
        expect(Number(res.headers["content-length"])).toBe(res.body.length);
        const once = gunzipSync(res.body);
        // Decoding once gives the JSON itself, not another gzip stream.
        expect(once[0]).toBe("{".charCodeAt(0));
        expect(new Uint8Array(once)).toEqual(repo.files.get(name));
      }
    },
  );

  test.each([["identity"], ["deflate"], ["gzip;q=0"], ["identity, *;q=0.0"], ["*"], [""], [null]])(
    "Accept-Encoding %j: plain JSON",
    async (acceptEncoding) => {
      for (const name of names) {
        const res = await get(name, acceptEncoding === null ? {} : { "Accept-Encoding": acceptEncoding });
        expect(res.status, name).toBe(200);
        expect(res.headers["content-encoding"]).toBeUndefined();
        expect(res.headers["content-type"]).toBe("application/json");
        expect(Number(res.headers["content-length"])).toBe(res.body.length);
        expect(new Uint8Array(res.body)).toEqual(repo.files.get(name));
      }
    },
  );
});

describe("what the bytes are", () => {
  test("each decoded body hashes to what the referring metadata states", async () => {
    const decoded = async (name: string) => {
      const res = await get(name, { "Accept-Encoding": "gzip" });
      return res.status === 404 ? null : new Uint8Array(gunzipSync(res.body));
    };
    const timestamp = Metadata.parse((await decoded("timestamp.json"))!, "timestamp").signed;
    const snapshot = (await decoded(`${timestamp.snapshotMeta.version}.snapshot.json`))!;
    expect(snapshot.length).toBe(timestamp.snapshotMeta.length);
    expect(sha256Hex(snapshot)).toBe(timestamp.snapshotMeta.hashes!.sha256);

    // A whole client refresh over the wire: root chain, then every signature, version, length and hash.
    const trusted = await refresh(repo.rootBytes, decoded, Date.now(), [repo.binOf(TARGET)]);
    expect(trusted.root.signed.version).toBe(2);
    expect(trusted.snapshot!.signed.version).toBe(7);
    expect(trusted.targets.get(repo.binOf(TARGET))!.signed.targets.get(TARGET)!.length).toBe(11);
  });

  test("the ETag is the quoted SHA-256 of the uncompressed JSON, with -gzip for the gzip representation", async () => {
    for (const name of names) {
      const gzip = await get(name, { "Accept-Encoding": "gzip" });
      const plain = await get(name);
      expect(plain.headers.etag).toBe(`"${sha256Hex(repo.files.get(name)!)}"`);
      expect(gzip.headers.etag).toBe(`"${sha256Hex(repo.files.get(name)!)}-gzip"`);
      const vary = name === "timestamp.json" ? "Accept-Encoding" : "Accept-Encoding, Available-Dictionary";
      expect(plain.headers.vary).toBe(vary);
      expect(gzip.headers.vary).toBe(vary);
    }
  });
});

describe("HEAD and conditional requests", () => {
  test("HEAD answers the headers of GET without a body", async () => {
    for (const name of names) {
      for (const headers of [{ "Accept-Encoding": "gzip" }, {}] as Record<string, string>[]) {
        const full = await get(name, headers);
        const head = await get(name, headers, "HEAD");
        expect(head.status).toBe(200);
        expect(head.body.length).toBe(0);
        expect(entityHeaders(head.headers)).toEqual(entityHeaders(full.headers));
      }
    }
  });

  test("If-None-Match with the ETag gives 304 without a body", async () => {
    for (const name of names) {
      const etag = `"${sha256Hex(repo.files.get(name)!)}-gzip"`;
      for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
        for (const method of ["GET", "HEAD"]) {
          const res = await get(name, { "If-None-Match": ifNoneMatch, "Accept-Encoding": "gzip" }, method);
          expect(res.status, `${method} ${name} ${ifNoneMatch}`).toBe(304);
          expect(res.body.length).toBe(0);
          expect(res.headers.etag).toBe(etag);
        }
      }
      const changed = await get(name, { "If-None-Match": `"${"0".repeat(64)}"` });
      expect(changed.status).toBe(200);
      expect(new Uint8Array(changed.body)).toEqual(repo.files.get(name));
    }
  });
});

describe("cache lifetimes", () => {
  test("timestamp: short, from TIMESTAMP_MAX_AGE; versioned files and roots: immutable for a year", async () => {
    for (const name of names) {
      const res = await get(name);
      expect(res.headers["cache-control"], name).toBe(name === "timestamp.json" ? "public, max-age=7" : IMMUTABLE);
    }
  });

  test("repeated reads of an immutable file are served by the Cache API, not R2", async () => {
    const name = "3.targets.json";
    const bucket = await w.metadata();
    await get(name, { "Accept-Encoding": "gzip" });
    // The cache write runs after the response (waitUntil): wait until the entry is there, not a fixed time.
    const cache = (await w.mf.getCaches()).default;
    await waitFor("the cache entry", async () => (await cache.match(new URL(`/.cache/metadata/${name}`, w.url).toString())) ?? null);
    await bucket.delete(metadataKey(name));
    try {
      for (const headers of [{ "Accept-Encoding": "gzip" }, {}] as Record<string, string>[]) {
        const res = await get(name, headers);
        expect(res.status).toBe(200);
        const body = headers["Accept-Encoding"] ? gunzipSync(res.body) : res.body;
        expect(new Uint8Array(body)).toEqual(repo.files.get(name));
        expect((await get(name, headers, "HEAD")).headers["content-length"]).toBe(res.headers["content-length"]);
      }
    } finally {
      await new MetadataStore(bucket).create(name, repo.files.get(name)!);
    }
  });

  test("the timestamp is read from R2 each time: a new one is served at once", async () => {
    const store = new MetadataStore(await w.metadata());
    const next = await new Metadata(
      new Timestamp({ version: 10, expires: repo.timestamp.signed.expires, snapshotMeta: repo.timestamp.signed.snapshotMeta }),
    ).sign([repo.signers.online]);
    expect(await store.swapTimestamp(next.toBytes(), (await store.read("timestamp.json"))!.etag)).toBe(true);
    const res = await get("timestamp.json");
    expect(new Uint8Array(res.body)).toEqual(next.toBytes());
  });
});

describe("names that do not exist", () => {
  test("the next root version is exactly 404 (clients probe N+1 on every update)", async () => {
    for (const method of ["GET", "HEAD"]) {
      const res = await get("3.root.json", { "Accept-Encoding": "gzip" }, method);
      expect(res.status).toBe(404);
      expect(res.headers["cache-control"]).toBe("no-store");
    }
    expect(JSON.parse((await get("3.root.json")).body.toString())).toMatchObject({ error: expect.any(String) });
  });

  test.each([
    "8.snapshot.json", // a version not published
    "1.targets.json",
    "5.bins-ff.json", // not a bin of a 4-bit delegation
    "5.nosuchrole.json",
    "5.project-example.json",
    "root.json", // unversioned names other than timestamp.json
    "snapshot.json",
    "targets.json",
    "0.root.json", // versions start at 1
    "01.root.json", // no leading zeros
    "1e3.root.json",
    "-1.root.json",
    "99999999999999999.root.json", // beyond a safe integer
    "9.timestamp.json", // the timestamp is not versioned
    "1..root.json",
    "1.root.json.gz",
    "1.root",
    "%31.root.json",
    "timestamp.json%00",
    "TIMESTAMP.JSON",
  ])("%s: JSON 404", async (name) => {
    const res = await get(name);
    expect(res.status).toBe(404);
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: expect.any(String) });
  });
});
