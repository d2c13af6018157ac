// PUT /v1/content, GET/HEAD /simple/{project}/ and mutable targets at /targets, in workerd.
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fromUtf8, utf8 } from "../../shared/encoding.js";
import { withFiles } from "../../shared/simple/index.js";
import { signWebhook, webhookHeaders } from "../../shared/webhook.js";
import { pathContentKey } from "../../worker/storage/content.js";
import { type PublishedPage, pageFileOf, publishPage, putContent, putOversize } from "../support/pip.js";
import { bootstrap, upload } from "../support/repo.js";
import { postUnfinished, sha256Hex, waitForOutcome } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { entityHeaders, rawRequest } from "./read-support.js";

const V1_JSON = "application/vnd.pypi.simple.v1+json";
const HTML = "text/html; charset=utf-8";
const CSP = "default-src 'none'; sandbox";
/** The Worker is mid-rotation of the webhook secret: PUT /v1/content takes either, like the webhook. */
const NEXT_SECRET = "cd".repeat(32);
const MiB = 1024 * 1024;
const nowSeconds = () => String(Math.floor(Date.now() / 1000));

describe("the simple API and mutable targets", () => {
  let w: TestWorker;
  let pages: Record<"html" | "json", PublishedPage>;
  const get = (path: string, headers: Record<string, string> = {}, method = "GET") => rawRequest(w.url, path, { method, headers });

  /** Publishes targets through the webhook and waits until they are. */
  async function publishTargets(targets: unknown[]) {
    const res = await upload(w, { targets });
    expect(res.status).toBe(202);
    const outcome = await waitForOutcome(w, ((await res.json()) as { id: string }).id);
    expect(outcome.state).toBe("published");
  }

  beforeAll(async () => {
    // Index mode: the test plays the index, sending pages with serials.
    w = await startWorker({ vars: { SIMPLE_PAGES: "index", WEBHOOK_SECRET_NEXT: NEXT_SECRET } });
    await bootstrap(w, 4);
    const wheel = utf8("wheel bytes");
    const page = withFiles(null, "demo", [
      pageFileOf("packages/demo/demo-1.0-py3-none-any.whl", wheel, { requiresPython: ">=3.8" }),
      pageFileOf("packages/demo/demo-0.9.tar.gz", utf8("sdist"), { yanked: "<broken>" }),
    ], [])!;
    pages = await publishPage(w, page, { serial: 1 });
  });
  afterAll(async () => {
    await w.close();
  });

  describe("PUT /v1/content/{sha256}", () => {
    test("201 stores the bytes under their SHA-256, 200 when they are there already", async () => {
      const bytes = utf8(`content ${Math.random()}`);
      const sha256 = sha256Hex(bytes);
      const first = await putContent(w, bytes);
      expect(first.status).toBe(201);
      expect(await first.json()).toEqual({ sha256, length: bytes.length, created: true });
      const again = await putContent(w, bytes);
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({ sha256, length: bytes.length, created: false });
      const stored = await (await w.metadata()).head(`content/${sha256}`);
      expect(stored?.customMetadata).toEqual({ sha256, length: String(bytes.length), staged: "1" });
    });

    test("400 when the body is not what the URL names, and nothing is stored", async () => {
      const bytes = utf8(`mismatch ${Math.random()}`);
      const res = await putContent(w, bytes, { sha256: "0".repeat(64) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ field: "sha256", sha256: sha256Hex(bytes) });
      expect(await (await w.metadata()).head(`content/${sha256Hex(bytes)}`)).toBeNull();
    });

    test.each([["upper case", "A".repeat(64)], ["too short", "a".repeat(63)], ["not hex", "g".repeat(64)]])(
      "400 when the URL is not 64 lowercase hex (%s)",
      async (_, sha256) => {
        const res = await putContent(w, utf8("x"), { sha256 });
        expect(res.status).toBe(400);
        expect(await res.json()).toMatchObject({ field: "sha256" });
      },
    );

    test("401 without a valid, fresh signature", async () => {
      const bytes = utf8("unsigned");
      const url = `${w.url}/v1/content/${sha256Hex(bytes)}`;
      expect((await fetch(url, { method: "PUT", body: bytes })).status).toBe(401);
      expect((await putContent(w, bytes, { secret: "wrong" })).status).toBe(401);
      expect((await putContent(w, bytes, { timestamp: Math.floor(Date.now() / 1000) - 3600 })).status).toBe(401);
      expect(await (await w.metadata()).head(`content/${sha256Hex(bytes)}`)).toBeNull();
    });

    test.each([
      ["no signature headers at all, 4 MiB chunked", 4 * MiB, true, () => ({})],
      ["no signature headers at all, 16 MiB + 1 declared", 16 * MiB + 1, false, () => ({})],
      ["a stale timestamp", 4 * MiB, true, () => ({ "x-webhook-timestamp": String(Number(nowSeconds()) - 301), "x-webhook-signature": `sha256=${"0".repeat(64)}` })],
      ["a malformed signature", 4 * MiB, false, () => ({ "x-webhook-timestamp": nowSeconds(), "x-webhook-signature": "sha256=zz" })],
      ["a key id naming no secret", 4 * MiB, true, () => ({ "x-webhook-timestamp": nowSeconds(), "x-webhook-signature": `sha256=${"0".repeat(64)}`, "x-webhook-key-id": "0".repeat(16) })],
    ] as const)("401 on the headers alone, while the body is still being sent (%s)", async (_, size, chunked, headers) => {
      // Only the first 64 KiB is ever sent: an answer proves the Worker did not wait for the body.
      const body = new Uint8Array(size);
      const res = await postUnfinished(w, body, headers(), chunked, { method: "PUT", path: `/v1/content/${sha256Hex(body)}` });
      expect(res.status, res.text).toBe(401);
      expect(JSON.parse(res.text)).toMatchObject({ error: expect.any(String), reason: expect.any(String) });
    });

    test("during a rotation the next secret is accepted by its key id, and only so", async () => {
      const bytes = utf8(`next secret ${Math.random()}`);
      expect((await putContent(w, bytes, { secret: NEXT_SECRET })).status).toBe(401);
      expect((await putContent(w, bytes, { secret: NEXT_SECRET, keyId: true })).status).toBe(201);
      expect((await putContent(w, bytes, { keyId: true })).status).toBe(200);
      expect((await putContent(w, bytes)).status).toBe(200);
    });

    test("413 over 16 MiB, whether declared or not", async () => {
      const body = new Uint8Array(16 * 1024 * 1024 + 1);
      const ts = String(Math.floor(Date.now() / 1000));
      const headers = { "x-webhook-timestamp": ts, "x-webhook-signature": await signWebhook(w.secrets.WEBHOOK_SECRET, ts, body) };
      expect(await putOversize(w, `/v1/content/${sha256Hex(body)}`, body, headers, true)).toBe(413);
      expect(await putOversize(w, `/v1/content/${sha256Hex(body)}`, body, headers, false)).toBe(413);
      // A well-formed signature that will not match is read only up to the bound, never past it.
      const wrong = await webhookHeaders(NEXT_SECRET, ts, utf8("other bytes"), true);
      expect(await putOversize(w, `/v1/content/${sha256Hex(body)}`, body, wrong, false)).toBe(413);
      expect(await (await w.metadata()).head(`content/${sha256Hex(body)}`)).toBeNull();
    });
  });

  describe("GET /simple/{project}/", () => {
    test.each([
      ["no Accept", {}, HTML, "html"],
      ["text/html", { accept: "text/html" }, HTML, "html"],
      ["v1+html", { accept: "application/vnd.pypi.simple.v1+html" }, "application/vnd.pypi.simple.v1+html", "html"],
      ["pip's Accept", { accept: `${V1_JSON}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01` }, V1_JSON, "json"],
      ["latest+json", { accept: "application/vnd.pypi.simple.latest+json" }, V1_JSON, "json"],
    ] as const)("%s → %s, the signed page's exact bytes", async (_, headers, contentType, format) => {
      const res = await get("/simple/demo/", headers);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe(contentType);
      expect(res.headers.vary).toBe("Accept, Accept-Encoding");
      expect(res.headers["cache-control"]).toBe("public, max-age=30");
      expect(res.headers["content-security-policy"]).toBe(CSP);
      expect(new Uint8Array(res.body)).toEqual(pages[format].bytes);
    });

    test("?format= overrides Accept (PyPI)", async () => {
      const res = await get(`/simple/demo/?format=${encodeURIComponent(V1_JSON)}`, { accept: "text/html" });
      expect(res.headers["content-type"]).toBe(V1_JSON);
      expect(new Uint8Array(res.body)).toEqual(pages.json.bytes);
    });

    test("406 naming what is offered when nothing is acceptable", async () => {
      for (const path of ["/simple/demo/?format=application/json", "/simple/demo/"]) {
        const res = await get(path, { accept: "application/json" });
        expect(res.status).toBe(406);
        expect(res.headers.vary).toContain("Accept");
        expect(JSON.parse(res.body.toString()).available).toContain(V1_JSON);
      }
    });

    test.each([
      ["/simple/demo", "/simple/demo/"],
      ["/simple/Demo/", "/simple/demo/"],
      ["/simple/DEMO", "/simple/demo/"],
      ["/simple/Other_Pkg.x/?format=text/html", "/simple/other-pkg-x/?format=text/html"],
    ])("301 %s → %s, by a relative Location that no Host header reaches", async (path, location) => {
      const res = await get(path, { host: "evil.example" });
      expect(res.status).toBe(301);
      expect(res.headers.location).not.toMatch(/^[a-z]+:|^\/\/|evil/i);
      const resolved = new URL(res.headers.location!, `http://tuf.example${path}`);
      expect(resolved.pathname + resolved.search).toBe(location);
    });

    test.each(["/simple/unknown/", "/simple/%3Cscript%3E/", "/simple/demo/extra", "/simple/demo/vnd.pypi.simple.v1.html", "/simple/-x/"])(
      "404 for %s",
      async (path) => {
        const res = await get(path);
        expect(res.status).toBe(404);
        expect(res.headers["cache-control"]).toBe("no-store");
      },
    );

    test("gzip when accepted: the stored gzip, compressed once; identity otherwise", async () => {
      for (const format of ["html", "json"] as const) {
        const accept = format === "json" ? V1_JSON : "text/html";
        const gz = await get("/simple/demo/", { accept, "accept-encoding": "gzip" });
        expect(gz.headers["content-encoding"]).toBe("gzip");
        expect(Number(gz.headers["content-length"])).toBe(gz.body.length);
        expect(new Uint8Array(gunzipSync(gz.body))).toEqual(pages[format].bytes);
        const plain = await get("/simple/demo/", { accept, "accept-encoding": "identity" });
        expect(plain.headers["content-encoding"]).toBeUndefined();
        expect(Number(plain.headers["content-length"])).toBe(pages[format].bytes.length);
        expect(new Uint8Array(plain.body)).toEqual(pages[format].bytes);
      }
    });

    test("ETag and 304, one ETag per representation and per encoding", async () => {
      const variants: Record<string, string>[] = [
        { accept: "text/html" },
        { accept: "application/vnd.pypi.simple.v1+html" },
        { accept: V1_JSON },
        { accept: "text/html", "accept-encoding": "gzip" },
        { accept: V1_JSON, "accept-encoding": "gzip" },
      ];
      const etags: string[] = [];
      for (const headers of variants) {
        const res = await get("/simple/demo/", headers);
        const etag = res.headers.etag!;
        expect(etag).toMatch(/^"[0-9a-f]{64}\.[a-z0-9]+(\.gz)?"$/);
        etags.push(etag);
        const again = await get("/simple/demo/", { ...headers, "if-none-match": etag });
        expect(again.status).toBe(304);
        expect(again.body.length).toBe(0);
      }
      expect(new Set(etags).size).toBe(variants.length);
      // An ETag of the JSON page does not validate the HTML page.
      expect((await get("/simple/demo/", { accept: "text/html", "if-none-match": etags[2]! })).status).toBe(200);
    });

    test("HEAD repeats GET's headers without a body", async () => {
      for (const headers of [{ accept: V1_JSON }, { accept: "text/html", "accept-encoding": "gzip" }] as Record<string, string>[]) {
        const got = await get("/simple/demo/", headers);
        const head = await get("/simple/demo/", headers, "HEAD");
        expect(head.status).toBe(200);
        expect(head.body.length).toBe(0);
        expect(entityHeaders(head.headers)).toEqual(entityHeaders(got.headers));
      }
    });

    test("503 when a page is published but its bytes are not stored", async () => {
      // The publisher takes a page only with its bytes stored; here they are lost afterwards.
      const bytes = utf8("lost later");
      expect((await putContent(w, bytes)).status).toBe(201);
      await publishTargets([{ path: "simple/ghost/vnd.pypi.simple.v1.html", length: bytes.length, hashes: { sha256: sha256Hex(bytes) }, serial: 1 }]);
      await (await w.metadata()).delete(pathContentKey("simple/ghost/vnd.pypi.simple.v1.html", sha256Hex(bytes)));
      const res = await get("/simple/ghost/");
      expect(res.status).toBe(503);
      // Only the HTML page is published: the JSON one is not found.
      expect((await get("/simple/ghost/", { accept: V1_JSON })).status).toBe(404);
    });
  });

  describe("mutable targets at /targets", () => {
    const byHash = (page: PublishedPage) => {
      const slash = page.path.lastIndexOf("/");
      return `/targets/${page.path.slice(0, slash)}/${page.sha256}.${page.path.slice(slash + 1)}`;
    };

    test("a page by hash: its bytes from the content store, immutable, with a safe type and CSP", async () => {
      for (const [format, contentType] of [["html", HTML], ["json", V1_JSON]] as const) {
        const res = await get(byHash(pages[format]));
        expect(res.status).toBe(200);
        expect(res.headers["content-type"]).toBe(contentType);
        expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
        expect(res.headers["content-security-policy"]).toBe(CSP);
        expect(res.headers["x-content-type-options"]).toBe("nosniff");
        expect(new Uint8Array(res.body)).toEqual(pages[format].bytes);
        const gz = await get(byHash(pages[format]), { "accept-encoding": "gzip" });
        expect(gz.headers["content-encoding"]).toBe("gzip");
        expect(new Uint8Array(gunzipSync(gz.body))).toEqual(pages[format].bytes);
        expect((await get(byHash(pages[format]), { "if-none-match": res.headers.etag! })).status).toBe(304);
      }
    });

    test("the current page at its plain path, cached like a timestamp", async () => {
      const res = await get(`/targets/${pages.json.path}`);
      expect(res.status).toBe(200);
      expect(res.headers["cache-control"]).toBe("public, max-age=30");
      expect(new Uint8Array(res.body)).toEqual(pages.json.bytes);
    });

    test("a page path serves by hash only bytes that path was published with (review 2, finding 10)", async () => {
      const pathOf = (bytes: Uint8Array) => `/targets/simple/demo/${sha256Hex(bytes)}.vnd.pypi.simple.v1.html`;
      const stray = utf8("<html>stored, never published as a page of demo</html>");
      expect((await putContent(w, stray)).status).toBe(201);
      expect((await get(pathOf(stray))).status).toBe(404);
      expect((await get(pathOf(stray), {}, "HEAD")).status).toBe(404);
      // The published version is served by its hash.
      expect((await get(pathOf(pages.html.bytes), {}, "HEAD")).status).toBe(200);
    });

    test("a target published with a serial is served from the content store as opaque bytes", async () => {
      const bytes = utf8('{"a mutable": "config"}');
      const sha256 = sha256Hex(bytes);
      expect((await putContent(w, bytes)).status).toBe(201);
      await publishTargets([{ path: "config/settings.json", length: bytes.length, hashes: { sha256 }, serial: 3 }]);
      const res = await get(`/targets/config/${sha256}.settings.json`);
      expect(res.status).toBe(200);
      expect(res.headers["content-type"]).toBe("application/octet-stream");
      expect(res.headers["content-security-policy"]).toBe(CSP);
      expect(fromUtf8(res.body)).toBe(fromUtf8(bytes));
    });

    test("an immutable target is still a redirect to the file host, even when the content store holds its bytes", async () => {
      const bytes = utf8("an immutable file");
      const sha256 = sha256Hex(bytes);
      expect((await putContent(w, bytes)).status).toBe(201);
      await publishTargets([{ path: "packages/x/file.bin", length: bytes.length, hashes: { sha256 } }]);
      const res = await get(`/targets/packages/x/${sha256}.file.bin`);
      expect(res.status).toBe(302);
      expect(res.headers.location).toMatch(/\/files\/packages\/x\/file\.bin$/);
    });

    test("a page path with an unknown hash is 404", async () => {
      expect((await get(`/targets/simple/demo/${"0".repeat(64)}.vnd.pypi.simple.v1.html`)).status).toBe(404);
    });
  });
});
