// The index release flow in render mode (the default): distributions arrive in the packages
// bucket, tuf-edge renders each project's pages and publishes them in the same commit, and pip and
// tuf-js follow releases and removals (issue 11, §3–4).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pageTargetPaths } from "../../shared/simple/index.js";
import { pipDownload, publishDist } from "../support/pip.js";
import { verifiedState } from "../support/published.js";
import { bootstrap, upload, waitForUpload } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { deliverNow, inboxDrained, r2UploadId, sha256Hex, waitForOutcome } from "../support/uploads.js";
import { buildWheel } from "../support/wheel.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 4;
let w: TestWorker;
let rootBytes: Uint8Array;
beforeAll(async () => {
  w = await startWorker();
  rootBytes = (await bootstrap(w, BITS)).rootBytes;
});
afterAll(() => w.close());

const JSON_PAGE = "application/vnd.pypi.simple.v1+json";
const page = async (project: string) => {
  const res = await fetch(`${w.url}/simple/${project}/`, { headers: { accept: JSON_PAGE } });
  return res.status === 200 ? ((await res.json()) as any) : res.status;
};
const wheelPath = (filename: string) => `packages/${filename.slice(0, 2)}/${filename}`;

const verified = () => verifiedState(w, rootBytes, BITS);

async function removeFiles(...paths: string[]) {
  const res = await upload(w, { remove: paths });
  expect(res.status).toBe(202);
  return waitForUpload(w, ((await res.json()) as { id: string }).id);
}

describe("render mode: releases, metadata, removals", () => {
  const v1 = buildWheel("demo", "1.0");
  const v2 = buildWheel("demo", "2.0");

  test("a release publishes the dist and both pages in the same commit, and pip installs it", async () => {
    const before = await verified();
    const dist = await publishDist(w, wheelPath(v1.filename), v1.bytes);
    const after = await verified();
    // One commit: the dist and both pages appear together in the next snapshot.
    expect(after.snapshot).toBe(before.snapshot + 1);
    const paths = pageTargetPaths("demo");
    for (const p of [dist.path, paths.html, paths.json]) {
      expect(before.target(p)).toBeUndefined();
      expect(after.target(p)).toBeDefined();
    }
    expect(after.target(paths.json)!.custom).toEqual({ serial: 1 });

    const json = await page("demo");
    expect(json.name).toBe("demo");
    expect(json.versions).toEqual(["1.0"]);
    expect(json.files).toEqual([
      expect.objectContaining({ filename: v1.filename, url: `../../targets/${dist.path}`, hashes: { sha256: dist.sha256 }, size: v1.bytes.length }),
    ]);
    expect(json.files[0]["upload-time"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    // The bytes served are the bytes signed.
    const served = new Uint8Array(await (await fetch(`${w.url}/simple/demo/`, { headers: { accept: JSON_PAGE } })).arrayBuffer());
    expect(sha256Hex(served)).toBe(after.target(paths.json)!.hashes.sha256);

    const pip = await pipDownload(w, "demo==1.0");
    expect(pip.code, pip.stderr).toBe(0);
    expect(new Uint8Array(pip.files[v1.filename]!)).toEqual(v1.bytes);
  });

  test("the wheel's METADATA is extracted and published as its PEP 658 .metadata in the same commit", async () => {
    const path = `${wheelPath(v1.filename)}.metadata`;
    const file = (await page("demo")).files[0];
    expect(file["core-metadata"]).toEqual({ sha256: sha256Hex(v1.metadata) });
    expect(file["data-dist-info-metadata"]).toEqual({ sha256: sha256Hex(v1.metadata) });
    expect((await verified()).target(path)?.hashes.sha256).toBe(sha256Hex(v1.metadata));
    const html = await (await fetch(`${w.url}/simple/demo/`, { headers: { accept: "text/html" } })).text();
    expect(html).toContain(`data-core-metadata="sha256=${sha256Hex(v1.metadata)}"`);
    // Stored beside the wheel in the packages bucket, where the file host serves it.
    const stored = await (await w.packages()).get(path);
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(v1.metadata);
  });

  test("a second release is listed beside the first, and pip follows it", async () => {
    await publishDist(w, wheelPath(v2.filename), v2.bytes);
    const json = await page("demo");
    expect(json.versions).toEqual(["1.0", "2.0"]);
    expect(json.files.map((f: any) => f.filename)).toEqual([v1.filename, v2.filename]);
    // The first file kept its metadata: the page was rebuilt from the signed one.
    expect(json.files[0]["core-metadata"]).toBeDefined();
    const pip = await pipDownload(w, "demo");
    expect(pip.code, pip.stderr).toBe(0);
    expect(Object.keys(pip.files)).toEqual([v2.filename]);
  });

  test("a removal re-renders the page; re-delivering the dist's notification does not bring it back", async () => {
    const path = wheelPath(v2.filename);
    const object = await (await w.packages()).head(path);
    await removeFiles(path);
    expect((await page("demo")).versions).toEqual(["1.0"]);
    const pip = await pipDownload(w, "demo==2.0");
    expect(pip.code).not.toBe(0);
    expect(pip.stderr).toMatch(/from versions: 1\.0/);

    // At-least-once delivery: the same notification again is recognised as decided.
    const event = { account: "local", action: "PutObject", bucket: "tuf-edge-packages", object: { key: path, size: object!.size, eTag: object!.etag }, eventTime: new Date().toISOString() };
    const snapshot = (await verified()).snapshot;
    await deliverNow(w, [event]);
    await inboxDrained(w);
    expect((await verified()).snapshot).toBe(snapshot);
    expect((await verified()).target(path)).toBeUndefined();
    // Other bytes stored at the removed path later: a new event, refused (a filename is never reused).
    await (await w.packages()).delete(path);
    const again = await (await w.packages()).put(path, buildWheel("demo", "2.0", { extra: "# other bytes" }).bytes);
    await deliverNow(w, [{ ...event, object: { key: path, size: again!.size, eTag: again!.etag } }]);
    const outcome = await waitForOutcome(w, r2UploadId(path, again!.etag));
    expect(outcome.state).toBe("rejected");
    expect(outcome.rejected[0].reason).toMatch(/never published again/);
    expect((await page("demo")).versions).toEqual(["1.0"]);
  });

  test("tuf-js resolves both pages, downloads them by hash, and gets the bytes /simple/ serves", async () => {
    const client = new TufClient(w.url, rootBytes);
    try {
      for (const [format, accept] of [["html", "text/html"], ["json", JSON_PAGE]] as const) {
        const path = pageTargetPaths("demo")[format];
        const verifiedBytes = new Uint8Array(await client.download(path));
        const served = new Uint8Array(await (await fetch(`${w.url}/simple/demo/`, { headers: { accept } })).arrayBuffer());
        expect(served).toEqual(verifiedBytes);
      }
    } finally {
      client.close();
    }
  });

  test("removing the last file leaves an empty page that remembers the name: pip finds nothing", async () => {
    const path = wheelPath(v1.filename);
    const r = await removeFiles(path);
    // The dist's .metadata goes with it.
    expect((await verified()).target(`${path}.metadata`)).toBeUndefined();
    expect(r.results).toEqual([{ path, outcome: "published" }]);
    // As on PyPI, the project stays, with no files; its removed file names are never used again.
    const left = await page("demo");
    expect(left.files).toEqual([]);
    expect(left["_removed-files"]).toContain(v1.filename);
    expect((await pipDownload(w, "demo")).code).not.toBe(0);
  });
});

describe("render mode: what it refuses", () => {
  test("a file that names no project is rejected with the reason: at the dev PUT's door (400), and from the bucket", async () => {
    const res = await fetch(`${w.url}/v1/admin/files/packages/readme.txt`, { method: "PUT", headers: { authorization: `Bearer ${w.secrets.ADMIN_TOKEN}` }, body: "hello" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "path", error: expect.stringMatching(/names no project/) });
    expect(await (await w.packages()).head("packages/readme.txt")).toBeNull();
    // In production a file reaches the bucket on its own way; its notification is rejected with the reason.
    const stored = (await (await w.packages()).put("packages/readme.txt", "hello"))!;
    const event = { account: "local", action: "PutObject", bucket: "tuf-edge-packages", object: { key: stored.key, size: stored.size, eTag: stored.etag }, eventTime: new Date().toISOString() };
    await deliverNow(w, [event]);
    const outcome = await waitForOutcome(w, r2UploadId(stored.key, stored.etag));
    expect(outcome.state).toBe("rejected");
    expect(outcome.rejected[0].reason).toMatch(/names no project/);
  });

  test("a webhook naming a page is rejected: the pages are tuf-edge's own here", async () => {
    const bytes = new TextEncoder().encode("<html></html>");
    const res = await upload(w, { targets: [{ path: "simple/x/vnd.pypi.simple.v1.html", length: bytes.length, hashes: { sha256: sha256Hex(bytes) }, serial: 1 }] });
    const outcome = await waitForUpload(w, ((await res.json()) as { id: string }).id);
    expect(outcome.state).toBe("rejected");
    expect(outcome.rejected[0].reason).toMatch(/renders the pages itself/);
  });
});
