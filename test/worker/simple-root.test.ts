// GET /simple/ (PEP 503's root, PEP 691's project list): the projects with a published page, with
// the negotiation, ETags and caching of a project page. From the bins while the writer has not
// recorded the list; from the recorded list (worker/storage/projects.ts) once it has.
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MetadataStore } from "../../worker/storage/metadata-store.js";
import { recordProjectPages } from "../../worker/storage/projects.js";
import { publishDist } from "../support/pip.js";
import { bootstrap } from "../support/repo.js";
import { buildWheel } from "../support/wheel.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { entityHeaders, rawRequest } from "./read-support.js";

const V1_JSON = "application/vnd.pypi.simple.v1+json";

describe("GET /simple/", () => {
  let w: TestWorker;
  const get = (path: string, headers: Record<string, string> = {}, method = "GET") => rawRequest(w.url, path, { method, headers });
  const page = (project: string, present: boolean) => ({ path: `simple/${project}/vnd.pypi.simple.v1.json`, file: present ? {} : null });

  beforeAll(async () => {
    w = await startWorker();
    await bootstrap(w, 4);
    for (const project of ["beta-pkg", "alpha"]) {
      const wheel = buildWheel(project, "1.0");
      await publishDist(w, `packages/${project}/${wheel.filename}`, wheel.bytes);
    }
  });
  afterAll(async () => {
    await w.close();
  });

  test("lists every project with a page, in name order, as PEP 503 HTML with relative links", async () => {
    const res = await get("/simple/");
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("public, max-age=30");
    expect(res.headers.vary).toBe("Accept, Accept-Encoding");
    const html = res.body.toString();
    expect(html).toContain('<meta name="pypi:repository-version" content="1.3">');
    expect([...html.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => [m[1], m[2]])).toEqual([["alpha/", "alpha"], ["beta-pkg/", "beta-pkg"]]);
  });

  test("PEP 691 JSON by Accept or ?format=, 406 when nothing fits", async () => {
    const json = await get("/simple/", { accept: `${V1_JSON}, text/html; q=0.1` });
    expect(json.headers["content-type"]).toBe(V1_JSON);
    expect(JSON.parse(json.body.toString())).toEqual({ meta: { "api-version": "1.3" }, projects: [{ name: "alpha" }, { name: "beta-pkg" }] });
    const format = await get(`/simple/?format=${encodeURIComponent(V1_JSON)}`, { accept: "text/html" });
    expect(format.headers["content-type"]).toBe(V1_JSON);
    expect(format.body).toEqual(json.body);
    const none = await get("/simple/", { accept: "application/json" });
    expect(none.status).toBe(406);
    expect(JSON.parse(none.body.toString()).available).toContain(V1_JSON);
  });

  test("an ETag per representation and encoding, 304 on a match; gzip when accepted; HEAD without a body", async () => {
    const html = await get("/simple/");
    const json = await get("/simple/", { accept: V1_JSON });
    const gz = await get("/simple/", { "accept-encoding": "gzip" });
    const etags = [html, json, gz].map((r) => r.headers.etag);
    expect(new Set(etags).size).toBe(3);
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body)).toEqual(html.body);
    const again = await get("/simple/", { "if-none-match": html.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get("/simple/", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(entityHeaders(head.headers).etag).toBe(html.headers.etag);
  });

  test("/simple is a 301 to a relative simple/, whatever the Host", async () => {
    const res = await get("/simple?format=text/html", { host: "evil.example" });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe("simple/?format=text/html");
  });

  test("once the writer records the list, the recorded list answers, and its changes show (new ETag)", async () => {
    const store = new MetadataStore(await w.metadata());
    // The writer recorded the two projects its releases created.
    expect(((await (await fetch(`${w.url}/v1/status`)).json()) as { projects: unknown }).projects).toBe(2);
    const before = (await get("/simple/")).headers.etag;
    await recordProjectPages(store, [[page("alpha", true), page("beta-pkg", true), page("zz-top", true)], [{ path: "packages/x/y.whl", file: {} }]]);
    const listed = await get("/simple/", { accept: V1_JSON });
    expect(JSON.parse(listed.body.toString()).projects).toEqual([{ name: "alpha" }, { name: "beta-pkg" }, { name: "zz-top" }]);
    expect(listed.headers.etag).not.toBe(before);
    expect(((await (await fetch(`${w.url}/v1/status`)).json()) as { projects: unknown }).projects).toBe(3); // counted from the listing

    const kept = listed.headers.etag;
    await recordProjectPages(store, [[page("alpha", true)]]); // nothing new: nothing written
    expect((await get("/simple/", { accept: V1_JSON })).headers.etag).toBe(kept);

    await recordProjectPages(store, [[page("beta-pkg", false), { path: "simple/beta-pkg/vnd.pypi.simple.v1.html", file: null }]]);
    const after = await get("/simple/", { accept: V1_JSON });
    expect(JSON.parse(after.body.toString()).projects).toEqual([{ name: "alpha" }, { name: "zz-top" }]);
    expect(after.headers.etag).not.toBe(kept);
  });

  test("many projects stream across shards in name order", async () => {
    const store = new MetadataStore(await w.metadata());
    const names = Array.from({ length: 600 }, (_, i) => `p${(i * 7919) % 600}-${String.fromCharCode(97 + (i % 26))}${i}`);
    await recordProjectPages(store, [names.map((n) => page(n, true))]);
    const res = await get("/simple/", { accept: V1_JSON });
    const listed = (JSON.parse(res.body.toString()).projects as { name: string }[]).map((p) => p.name);
    expect(listed).toEqual([...new Set([...names, "alpha", "zz-top"])].sort());
  });
});
