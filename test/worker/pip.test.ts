// pip end to end against the simple API: the index page (PEP 691 JSON, what pip asks for first),
// the PEP 503 HTML page, and a wheel downloaded through /targets, checked against the page's hash.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fromUtf8 } from "../../shared/encoding.js";
import { withFiles } from "../../shared/simple/index.js";
import { pageFileOf, pipDownload, publishDist, publishPage, releaseWheel } from "../support/pip.js";
import { sha256Hex } from "../support/uploads.js";
import { buildWheel } from "../support/wheel.js";
import { bootstrap } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { type TestWorker, startWorker } from "../support/worker.js";

describe("pip download from /simple/", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  let demo: Awaited<ReturnType<typeof releaseWheel>>;

  beforeAll(async () => {
    // Index mode: the test plays the index, rendering each page itself and sending it with a serial.
    w = await startWorker({ vars: { SIMPLE_PAGES: "index" } });
    rootBytes = (await bootstrap(w, 4)).rootBytes;
    demo = await releaseWheel(w, null, "demo", "1.0", { serial: 1 });
  });
  afterAll(async () => {
    await w.close();
  });

  test("pip finds demo==1.0 through the JSON page and downloads the very wheel that was published", async () => {
    const result = await pipDownload(w, "demo==1.0");
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(Object.keys(result.files)).toEqual([demo.wheel.filename]);
    expect(new Uint8Array(result.files[demo.wheel.filename]!)).toEqual(demo.wheel.bytes);
  });

  test("pip reads the PEP 503 HTML page too (?format=text/html as find-links)", async () => {
    const result = await pipDownload(w, "demo==1.0", { findLinks: `${w.url}/simple/demo/?format=text/html` });
    expect(result.code).toBe(0);
    expect(new Uint8Array(result.files[demo.wheel.filename]!)).toEqual(demo.wheel.bytes);
  });

  test("pip refuses a version no page lists, and a project that has no page", async () => {
    const missingVersion = await pipDownload(w, "demo==2.0");
    expect(missingVersion.code).not.toBe(0);
    expect(missingVersion.stderr).toMatch(/from versions: 1\.0/);
    const missingProject = await pipDownload(w, "nothing-here");
    expect(missingProject.code).not.toBe(0);
    expect(Object.keys(missingProject.files)).toEqual([]);
  });

  test("a second project is found by its own page, under any spelling of its name", async () => {
    const other = await releaseWheel(w, null, "Other.Pkg", "0.1", { serial: 1 });
    const result = await pipDownload(w, "other_pkg==0.1");
    expect(result.code).toBe(0);
    expect(new Uint8Array(result.files[other.wheel.filename]!)).toEqual(other.wheel.bytes);
  });

  test("pip checks the page's hash: a page that states another hash gets no download", async () => {
    const wheel = buildWheel("tampered", "1.0");
    const path = `packages/tampered/${wheel.filename}`;
    await publishDist(w, path, wheel.bytes);
    await publishPage(w, withFiles(null, "tampered", [pageFileOf(path, wheel.bytes, { hashes: { sha256: sha256Hex("other bytes") } })], [])!, { serial: 1 });
    const result = await pipDownload(w, "tampered==1.0");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/HASHES/);
    expect(Object.keys(result.files)).toEqual([]);
  });

  test("PEP 658: pip takes the metadata from the .metadata target the page announces, and checks its hash", async () => {
    for (const [project, honest] of [["with-metadata", true], ["bad-metadata", false]] as const) {
      const wheel = buildWheel(project, "1.0");
      const path = `packages/${project}/${wheel.filename}`;
      await publishDist(w, path, wheel.bytes);
      await publishDist(w, `${path}.metadata`, wheel.metadata);
      const coreMetadata = { sha256: honest ? sha256Hex(wheel.metadata) : sha256Hex("not the metadata") };
      await publishPage(w, withFiles(null, project, [pageFileOf(path, wheel.bytes, { coreMetadata })], [])!, { serial: 1 });
      const result = await pipDownload(w, `${project}==1.0`);
      if (honest) {
        expect(result.code).toBe(0);
        expect(new Uint8Array(result.files[wheel.filename]!)).toEqual(wheel.bytes);
      } else {
        // pip fetched the .metadata file (it could only fail on its hash by reading it) and refused it.
        expect(result.code).not.toBe(0);
        expect(result.stderr).toMatch(new RegExp(`Expected sha256 ${coreMetadata.sha256}\\s+Got\\s+${sha256Hex(wheel.metadata)}`));
        expect(Object.keys(result.files)).toEqual([]);
      }
    }
  });

  test("tuf-js resolves both pages, downloads them by hash, and gets the bytes /simple/ serves", async () => {
    const client = new TufClient(w.url, rootBytes);
    try {
      for (const [format, accept] of [["html", "text/html"], ["json", "application/vnd.pypi.simple.v1+json"]] as const) {
        const page = demo.pages[format];
        const info = await client.targetInfo(page.path);
        expect(info?.hashes.sha256).toBe(page.sha256);
        const verified = await client.download(page.path);
        expect(new Uint8Array(verified)).toEqual(page.bytes);
        const served = await fetch(`${w.url}/simple/demo/`, { headers: { accept } });
        expect(served.status).toBe(200);
        expect(new Uint8Array(await served.arrayBuffer())).toEqual(page.bytes);
      }
      // The wheel the page links to is the target TUF verifies.
      const wheel = await client.download(demo.path);
      expect(new Uint8Array(wheel)).toEqual(demo.wheel.bytes);
      expect(fromUtf8(demo.pages.html.bytes)).toContain(`#sha256=${demo.page.files[0]!.hashes.sha256}`);
    } finally {
      client.close();
    }
  });
});
