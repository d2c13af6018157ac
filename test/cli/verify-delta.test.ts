// `tuf-edge verify --cache DIR` (issue 15): a returning monitor asks for deltas against the bytes it
// kept, gets dcz from the Worker, and still verifies every byte as signed.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bootstrap, upload, waitForUpload } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { runCli, startServer } from "./helpers.js";

let w: TestWorker;
let dir: string;
let rootFile: string;
beforeAll(async () => {
  w = await startWorker();
  const { rootBytes } = await bootstrap(w, 4);
  dir = await mkdtemp(join(tmpdir(), "tuf-edge-verify-delta-"));
  rootFile = join(dir, "1.root.json");
  await writeFile(rootFile, rootBytes);
});
afterAll(async () => {
  await w.close();
  await rm(dir, { recursive: true, force: true });
});

/** A pass-through proxy to the Worker that keeps the raw bytes and counts each Content-Encoding. */
async function proxy() {
  const encodings: string[] = [];
  const server = await startServer((req, res) => {
    const target = new URL(req.url, w.url);
    const upstream = request(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      encodings.push(String(answer.headers["content-encoding"] ?? "identity"));
      res.writeHead(answer.statusCode!, answer.headers);
      answer.pipe(res);
    });
    upstream.end();
  });
  return { ...server, encodings };
}

test("a second run with --cache downloads deltas and passes", async () => {
  const cache = join(dir, "cache");
  // Dictionaries belong to an origin: both runs go through the same proxy.
  const p = await proxy();
  try {
    const r = await runCli(["verify", "--url", p.url, "--root", rootFile, "--cache", cache]);
    expect(r.code, r.stderr).toBe(0);
    expect(p.encodings).not.toContain("dcz");
    expect((await readdir(cache)).length).toBeGreaterThan(0);

    // A commit in between: a new snapshot and bin, which the kept versions are dictionaries for.
    const res = await upload(w, { targets: [{ path: "packages/d/delta-1.0.bin", length: 5, hashes: { sha256: "0".repeat(64) } }] });
    expect((await waitForUpload(w, ((await res.json()) as { id: string }).id)).state).toBe("published");

    p.encodings.length = 0;
    const again = await runCli(["verify", "--url", p.url, "--root", rootFile, "--cache", cache]);
    expect(again.code, again.stderr).toBe(0);
    expect(p.encodings).toContain("dcz");
  } finally {
    await p.close();
  }
  expect((await runCli(["verify", "--url", w.url, "--client", "tuf-js", "--cache", cache])).code).toBe(2);
});
