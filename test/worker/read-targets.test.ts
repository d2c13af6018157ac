import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Hex, sha512Hex } from "../../shared/encoding.js";
import { metadataKey } from "../../worker/storage/metadata-store.js";
import { type FixtureRepository, buildRepository, generateRepository, storeRepository } from "../support/fixture-repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { rawRequest } from "./read-support.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const EXAMPLE = { path: "packages/ab/cd/ef01/example-1.0.tar.gz", bytes: bytes("example 1.0 sdist"), sha512: true };
const SPACES = { path: "packages/ab/cd/ef02/my pkg+1.0 ü~'(x).tar.gz", bytes: bytes("a file with an awkward name") };
/** A basename that itself starts with 64 hex and a dot: the ambiguous case. */
const HEXNAME = { path: `packages/00/11/2233/${"a".repeat(64)}.data.whl`, bytes: bytes("hex-named") };
const TOP = { path: "README.txt", bytes: bytes("top-level target") };
const TARGETS = [EXAMPLE, SPACES, HEXNAME, TOP];

let w: TestWorker;
let repo: FixtureRepository;
let now: number;

beforeAll(async () => {
  w = await startWorker();
  now = Date.now();
  repo = await buildRepository({ metadata: await w.metadata(), packages: await w.packages(), bits: 6, targets: TARGETS, now });
});
afterAll(() => w.close());

const sha = (t: { bytes: Uint8Array }) => sha256Hex(t.bytes);
/** What tuf-js asks for under consistent snapshots: `{dir}/{first hash}.{basename}`. */
function prefixed(path: string, digest: string): string {
  const slash = path.lastIndexOf("/");
  return `${path.slice(0, slash + 1)}${digest}.${path.slice(slash + 1)}`;
}
const encode = (path: string) => path.split("/").map(encodeURIComponent).join("/");
/** In development the redirect is relative: never built from the request's Host header. */
const filesUrl = (path: string) => `/files/${encode(path)}`;

describe("/targets redirects", () => {
  test("the hash-prefixed form redirects to the file host, for GET and HEAD", async () => {
    for (const t of TARGETS) {
      for (const method of ["GET", "HEAD"]) {
        const res = await rawRequest(w.url, `/targets/${encode(prefixed(t.path, sha(t)))}`, { method });
        expect(res.status, `${method} ${t.path}`).toBe(302);
        expect(res.headers.location).toBe(filesUrl(t.path));
        expect(res.headers["cache-control"]).toBe("public, max-age=30");
      }
    }
  });

  test("the plain path redirects too", async () => {
    for (const t of TARGETS) {
      const res = await rawRequest(w.url, `/targets/${encode(t.path)}`);
      expect(res.status, t.path).toBe(302);
      expect(res.headers.location).toBe(filesUrl(t.path));
    }
  });

  test("a sha512 prefix works when the target lists sha512", async () => {
    const res = await rawRequest(w.url, `/targets/${prefixed(EXAMPLE.path, sha512Hex(EXAMPLE.bytes))}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(filesUrl(EXAMPLE.path));
  });

  test("each segment is percent-encoded in Location, and the redirect leads to the bytes", async () => {
    const res = await rawRequest(w.url, `/targets/${encode(prefixed(SPACES.path, sha(SPACES)))}`);
    expect(res.headers.location).toBe(`/files/packages/ab/cd/ef02/my%20pkg%2B1.0%20%C3%BC~'(x).tar.gz`);
    const followed = await fetch(`${w.url}/targets/${encode(SPACES.path)}`);
    expect(followed.status).toBe(200);
    expect(new Uint8Array(await followed.arrayBuffer())).toEqual(SPACES.bytes);
  });

  test("a basename that looks hash-prefixed: the prefixed reading first, then the path as it is", async () => {
    const asIs = await rawRequest(w.url, `/targets/${HEXNAME.path}`);
    expect(asIs.status).toBe(302);
    expect(asIs.headers.location).toBe(filesUrl(HEXNAME.path));
    const withHash = await rawRequest(w.url, `/targets/${prefixed(HEXNAME.path, sha(HEXNAME))}`);
    expect(withHash.status).toBe(302);
    expect(withHash.headers.location).toBe(filesUrl(HEXNAME.path));
  });

  test.each([
    ["a wrong hash prefix", () => prefixed(EXAMPLE.path, "0".repeat(64))],
    ["another target's hash", () => prefixed(EXAMPLE.path, sha(SPACES))],
    ["the hash in upper case", () => prefixed(EXAMPLE.path, sha(EXAMPLE).toUpperCase())],
    ["a truncated hash", () => prefixed(EXAMPLE.path, sha(EXAMPLE).slice(0, 63))],
    ["the right hash on another directory", () => prefixed("packages/ab/cd/other/example-1.0.tar.gz", sha(EXAMPLE))],
    ["an unknown target", () => "packages/ab/cd/ef01/example-2.0.tar.gz"],
    ["a directory of targets", () => "packages/ab/cd"],
    ["a prefix of a target", () => "README"],
  ])("%s: JSON 404", async (_, path) => {
    for (const method of ["GET", "HEAD"]) {
      const res = await rawRequest(w.url, `/targets/${encode(path())}`, { method });
      expect(res.status).toBe(404);
      expect(res.headers["cache-control"]).toBe("no-store");
    }
    const res = await rawRequest(w.url, `/targets/${encode(path())}`);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: "target not published" });
  });
});

describe("/files (the local file host)", () => {
  test("serves the PACKAGES object with its length, an ETag and 304", async () => {
    const res = await rawRequest(w.url, `/files/${encode(EXAMPLE.path)}`, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(new Uint8Array(res.body)).toEqual(EXAMPLE.bytes);
    expect(res.headers["content-length"]).toBe(String(EXAMPLE.bytes.length));
    expect(res.headers["content-type"]).toBe("application/octet-stream");
    const head = await rawRequest(w.url, `/files/${encode(EXAMPLE.path)}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers["content-length"]).toBe(String(EXAMPLE.bytes.length));
    const again = await rawRequest(w.url, `/files/${encode(EXAMPLE.path)}`, { headers: { "If-None-Match": res.headers.etag! } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  test("a missing file is a JSON 404", async () => {
    const res = await rawRequest(w.url, "/files/packages/none.tar.gz");
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toMatchObject({ error: expect.any(String) });
  });
});

describe("/v1/targets", () => {
  test("a published path: its bin, versions, length and hashes", async () => {
    const res = await rawRequest(w.url, `/v1/targets/${encode(EXAMPLE.path)}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({
      path: EXAMPLE.path,
      published: true,
      bin: repo.binOf(EXAMPLE.path),
      binVersion: 1,
      snapshotVersion: 1,
      length: EXAMPLE.bytes.length,
      hashes: { sha256: sha(EXAMPLE), sha512: sha512Hex(EXAMPLE.bytes) },
      custom: null,
    });
  });

  test("an unknown path: 404 with published false", async () => {
    const res = await rawRequest(w.url, "/v1/targets/packages/nope-1.0.tar.gz");
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body.toString())).toMatchObject({ published: false, path: "packages/nope-1.0.tar.gz" });
  });
});

describe("hostile paths", () => {
  const CANARY = "CANARY";
  beforeAll(async () => {
    // Keys that are no valid target path: only a path decoded twice, or not checked, would reach them.
    const packages = await w.packages();
    for (const key of ["a\\b", "../secret", "a/../b", "../x", "..", "a//b", "/abs", "a\u0000", "x/../../metadata/timestamp.json"]) {
      await packages.put(key, bytes(`${CANARY} ${key}`));
    }
    const metadata = await w.metadata();
    for (const key of ["metadata/../canary.json", "canary.json", "metadata/a/1.root.json", "metadata/1.root.json\u0000"]) {
      await metadata.put(key, bytes(`${CANARY} ${key}`));
    }
  });

  const long = "a".repeat(1025);
  test.each([
    // Dot segments, raw or encoded, are resolved by the URL parser before routing; what is left is no target.
    ["/targets/packages/../secret", 404],
    ["/targets/packages/%2e%2e/secret", 404],
    ["/targets/packages/%2E%2E/%2e./x", 404],
    ["/files/a/../b", 404],
    ["/files/x/%2e%2e/y", 404],
    ["/files/a/%2e%2e/%2e%2e/x", 404],
    // Encoded slashes and backslashes.
    ["/targets/a%2fb", 400],
    ["/files/a%2Fb", 400],
    ["/files/..%2fsecret", 400],
    ["/files/a%5cb", 400],
    ["/targets/..%5c..%5cmetadata%5ctimestamp.json", 400],
    ["/files/a\\b", 404], // a raw backslash is a path separator to the URL parser: a/b, which is no file
    // Control characters.
    ["/targets/a%00b", 400],
    ["/files/a%00", 400],
    ["/targets/x%0d%0aLocation:%20http://evil", 400],
    ["/targets/a%7f", 400],
    ["/targets/a%c2%85", 400], // U+0085
    // Not UTF-8, or not the UTF-8 the contract allows.
    ["/targets/%ff", 400],
    ["/targets/a%e2%82", 400], // truncated sequence
    ["/targets/%c0%ae%c0%ae/x", 400], // overlong encoding of "."
    ["/targets/%ed%a0%80", 400], // an encoded surrogate
    ["/targets/%f0%9f%98%80.whl", 400], // outside the BMP
    ["/targets/%zz", 400],
    ["/targets/a%", 400],
    // Double encoding decodes once, to a name that is simply not published.
    ["/targets/%252e%252e/%252e%252e/metadata/timestamp.json", 404],
    ["/files/%252e%252e/x", 404],
    ["/targets/a%252fb", 404],
    // Empty segments.
    ["/targets//etc/passwd", 400],
    ["/targets/a//b", 400],
    ["/targets/a/", 400],
    ["/targets/", 400],
    // Over-long, raw or encoded.
    [`/targets/${long}`, 400],
    [`/targets/${"%41".repeat(1025)}`, 400],
    [`/files/${"%e2%82%ac".repeat(400)}`, 400],
    [`/v1/targets/${long}`, 400],
    // /v1/targets follows the same rules.
    ["/v1/targets/a%2fb", 400],
    ["/v1/targets/%ff", 400],
    ["/v1/targets/a%00", 400],
    // Metadata names are parsed strictly: anything else is not found.
    ["/metadata/..%2fcanary.json", 404],
    ["/metadata/%2e%2e/canary.json", 404],
    ["/metadata/a%2f1.root.json", 404],
    ["/metadata/1.root.json%00", 404],
    ["/metadata/1.root.json/", 404],
    ["/metadata/1.root.json%2f..", 404],
    [`/metadata/1.${long}.json`, 404],
    ["/metadata/1.%ff.json", 404],
  ])("%s → %i", async (path, status) => {
    for (const method of ["GET", "HEAD"]) {
      const res = await rawRequest(w.url, path, { method });
      expect(res.status, method).toBe(status);
      if (method === "HEAD") continue;
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(JSON.parse(res.body.toString())).toMatchObject({ error: expect.any(String) });
      expect(res.body.toString()).not.toContain(CANARY);
      expect(res.headers.location).toBeUndefined();
    }
  });
});

describe("a new publish", () => {
  test("is seen by the next request: new targets redirect, removed ones do not", async () => {
    const ADDED = { path: "packages/12/34/5678/added-2.0.tar.gz", bytes: bytes("added later") };
    const next = await generateRepository({
      bits: 6,
      now,
      seeds: repo.seeds,
      versions: { bins: 2, snapshot: 2, timestamp: 2 },
      targets: [SPACES, HEXNAME, TOP, ADDED],
    });
    await (await w.packages()).put(ADDED.path, ADDED.bytes);
    await storeRepository(await w.metadata(), next.files);

    const added = await rawRequest(w.url, `/targets/${prefixed(ADDED.path, sha(ADDED))}`);
    expect(added.status).toBe(302);
    expect((await rawRequest(w.url, `/targets/${EXAMPLE.path}`)).status).toBe(404);
    const info = JSON.parse((await rawRequest(w.url, `/v1/targets/${ADDED.path}`)).body.toString());
    expect(info).toMatchObject({ published: true, snapshotVersion: 2, binVersion: 2 });
    // The superseded files stay readable for clients that read the older timestamp.
    expect((await rawRequest(w.url, "/metadata/1.snapshot.json")).status).toBe(200);
    expect(await (await w.metadata()).head(metadataKey("2.snapshot.json"))).not.toBeNull();
  });
});

describe("with FILES_BASE_URL set", () => {
  let prod: TestWorker;
  beforeAll(async () => {
    prod = await startWorker({ mode: "production", vars: { FILES_BASE_URL: "https://files.example.org/base/" } });
    await buildRepository({ metadata: await prod.metadata(), packages: await prod.packages(), bits: 4, targets: [EXAMPLE, SPACES] });
  });
  afterAll(() => prod.close());

  test("redirects go to the file host, and /files does not exist", async () => {
    const res = await rawRequest(prod.url, `/targets/${encode(prefixed(SPACES.path, sha(SPACES)))}`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`https://files.example.org/base/${encode(SPACES.path)}`);
    expect((await rawRequest(prod.url, `/files/${EXAMPLE.path}`)).status).toBe(404);
  });
});
