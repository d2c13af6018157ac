// Finding 6 of issue 12: production is the default. The Worker as wrangler.toml ships it (no DEV_MODE,
// FILES_BASE_URL empty) redirects nowhere, serves no bucket, stores no file; development is a switch
// (`npm start` sets DEV_MODE=true, as the test harness does by default). No URL is ever built from
// the request's Host header.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { sha256Hex } from "../../shared/encoding.js";
import { buildRepository } from "../support/fixture-repo.js";
import { bucketSnapshot } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { rawRequest } from "./read-support.js";

const bytes = (text: string) => new TextEncoder().encode(text);
const WHEEL = { path: "packages/ab/cd/ef01/example-1.0-py3-none-any.whl", bytes: bytes("a wheel") };
/** A stored object a browser would render as a page of this origin, if it were served as stored. */
const PAGE = { path: "packages/ab/cd/ef02/evil.html", bytes: bytes("<script>alert(document.cookie)</script>") };
const prefixed = (t: { path: string; bytes: Uint8Array }) => t.path.replace(/[^/]+$/, (name) => `${sha256Hex(t.bytes)}.${name}`);
const EVIL_HOST = { Host: "evil.example" };

async function repositoryOn(w: TestWorker) {
  await buildRepository({ metadata: await w.metadata(), packages: await w.packages(), bits: 4, targets: [WHEEL, PAGE] });
  // Stored, never published: what /files in production would have leaked.
  await (await w.packages()).put("packages/unpublished/secret-2.0.tar.gz", bytes("embargoed"));
}

const putFile = (w: TestWorker, path: string) =>
  fetch(`${w.url}/v1/admin/files/${path}`, { method: "PUT", headers: { authorization: `Bearer ${w.secrets.ADMIN_TOKEN}` }, body: "x" });

describe("deployed as shipped (no DEV_MODE, FILES_BASE_URL empty)", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ mode: "production" });
    await repositoryOn(w);
  });
  afterAll(() => w.close());

  test("a published target: 503 naming FILES_BASE_URL, no Location, not cached — whatever the Host", async () => {
    for (const headers of [{}, EVIL_HOST]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await rawRequest(w.url, `/targets/${prefixed(WHEEL)}`, { method, headers });
        expect(res.status).toBe(503);
        expect(res.headers.location).toBeUndefined();
        expect(res.headers["cache-control"]).toBe("no-store");
        if (method === "GET") expect(JSON.parse(res.body.toString())).toMatchObject({ error: expect.stringContaining("FILES_BASE_URL"), field: "FILES_BASE_URL" });
      }
    }
  });

  test("/files does not exist: published, unpublished and HTML objects alike", async () => {
    for (const path of [WHEEL.path, PAGE.path, "packages/unpublished/secret-2.0.tar.gz"]) {
      for (const method of ["GET", "HEAD"]) {
        const res = await rawRequest(w.url, `/files/${path}`, { method });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(res.body.toString()).not.toContain("embargoed");
      }
    }
  });

  test("PUT /v1/admin/files does not exist, even with the token; nothing is stored", async () => {
    const before = await bucketSnapshot(await w.packages());
    const res = await putFile(w, "packages/new/file-1.0.tar.gz");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "not found" });
    expect(await bucketSnapshot(await w.packages())).toEqual(before);
  });

  test("metadata is served as usual", async () => {
    expect((await rawRequest(w.url, "/metadata/timestamp.json")).status).toBe(200);
  });
});

describe.each([
  ["files.example.org", "not an absolute URL"],
  ["ftp://files.example.org", "http(s)"],
  ["https://files.example.org/?x=1", "query"],
])("FILES_BASE_URL %j", (base, says) => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ mode: "production", vars: { FILES_BASE_URL: base } });
    await repositoryOn(w);
  });
  afterAll(() => w.close());

  test("is refused on use: 503, no Location", async () => {
    const res = await rawRequest(w.url, `/targets/${prefixed(WHEEL)}`);
    expect(res.status).toBe(503);
    expect(res.headers.location).toBeUndefined();
    expect(JSON.parse(res.body.toString()).error).toContain(says);
  });
});

describe("production with a file host", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker({ mode: "production", vars: { FILES_BASE_URL: "https://files.example.org" } });
    await repositoryOn(w);
  });
  afterAll(() => w.close());

  test("the redirect goes to the file host whatever the Host header says", async () => {
    const res = await rawRequest(w.url, `/targets/${prefixed(WHEEL)}`, { headers: EVIL_HOST });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`https://files.example.org/${WHEEL.path}`);
  });
});

describe("development (DEV_MODE=true, what npm start runs)", () => {
  let w: TestWorker;
  beforeAll(async () => {
    w = await startWorker();
    await repositoryOn(w);
  });
  afterAll(() => w.close());

  test("the redirect is relative: a Host header cannot choose where it leads", async () => {
    const res = await rawRequest(w.url, `/targets/${prefixed(WHEEL)}`, { headers: EVIL_HOST });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`/files/${WHEEL.path}`);
    const followed = await fetch(`${w.url}/targets/${prefixed(WHEEL)}`);
    expect(new Uint8Array(await followed.arrayBuffer())).toEqual(WHEEL.bytes);
  });

  test("/files serves every object as a download: octet-stream, attachment, a CSP that runs nothing", async () => {
    for (const method of ["GET", "HEAD"]) {
      const res = await rawRequest(w.url, `/files/${PAGE.path}`, { method });
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/octet-stream");
      expect(res.headers["content-disposition"]).toBe(`attachment; filename="evil.html"; filename*=UTF-8''evil.html`);
      expect(res.headers["content-security-policy"]).toBe("default-src 'none'; sandbox");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    }
  });

  test("a file name with quotes and non-ASCII is safe in Content-Disposition", async () => {
    const path = 'packages/x/"ü name".tar.gz';
    await (await w.packages()).put(path, bytes("odd"));
    const res = await rawRequest(w.url, `/files/${path.split("/").map(encodeURIComponent).join("/")}`);
    expect(res.status).toBe(200);
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="__ name_.tar.gz"; filename*=UTF-8''${encodeURIComponent('"ü name".tar.gz')}`);
  });

  test("PUT /v1/admin/files stores a file; the same bytes again are 200 with the first upload's id, other bytes 409", async () => {
    const first = await putFile(w, "packages/new/file-1.0.tar.gz");
    expect(first.status).toBe(202);
    const { id, etag } = (await first.json()) as { id: string; etag: string };
    const same = await putFile(w, "packages/new/file-1.0.tar.gz");
    expect(same.status).toBe(200);
    expect(await same.json()).toMatchObject({ id, etag, unchanged: true });
    const other = await fetch(`${w.url}/v1/admin/files/packages/new/file-1.0.tar.gz`, { method: "PUT", headers: { authorization: `Bearer ${w.secrets.ADMIN_TOKEN}` }, body: "y" });
    expect(other.status).toBe(409);
    expect(await other.json()).toMatchObject({ field: "path", stored: { size: 1, etag } });
  });

  test("PUT /v1/admin/files of a file name that names no project is a 400 at once (render mode), and nothing is stored", async () => {
    const res = await putFile(w, "packages/new/notes.txt");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "path", error: expect.stringMatching(/names no project/) });
    expect(await (await w.packages()).head("packages/new/notes.txt")).toBeNull();
    expect((await putFile(w, "packages/new/file-1.0.tar.gz.metadata")).status).toBe(202); // a .metadata names its dist's project
  });
});
