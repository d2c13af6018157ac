// A PyPI-shaped run in render mode (the default), against the second review's attacks: releases
// arrive as packages-bucket notifications; a mirror stores same-named files with other bytes at
// other paths, and stray .metadata beside them; removals name unrelated never-published paths;
// one release is revoked. Every notification and request is delivered twice, shuffled, in
// batches of random size. At every commit a file name, once listed, keeps its path and bytes, a
// revoked name never comes back, and every page is the signed one. Then shared content under
// retention: mutable targets that held a page's bytes move on, the cron sweeps, the pages stay.
// Guards README invariants 7 and 8.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { pageTargetPaths } from "../../shared/simple/index.js";
import type { QueueMessage, R2EventMessage } from "../../worker/storage/messages.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { putContent } from "../support/pip.js";
import { verifiedState } from "../support/published.js";
import { upload } from "../support/repo.js";
import { buildWheel } from "../support/wheel.js";
import { eventUploadId, storedInBucket } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { prng, realNow, runCron, setClock } from "./cron-support.js";

const BITS = 4;
const PROJECTS = ["alpha", "beta", "gamma", "delta"];
const JSON_PAGE = "application/vnd.pypi.simple.v1+json";
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let w: TestWorker;
let rootBytes: Uint8Array;
beforeAll(async () => {
  w = await startWorker({ entry: "faulty", queueConsumer: false, vars: { RETENTION_SECONDS: "1", BINS_EXPIRY: "315360000" } });
  rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
});
afterAll(() => w.close());

const stored = (path: string, bytes: Uint8Array) => storedInBucket(w, path, bytes);
async function request(body: unknown): Promise<QueueMessage> {
  const res = await upload(w, body);
  expect(res.status, await res.clone().text()).toBe(202);
  return { kind: "upload", id: ((await res.json()) as { id: string }).id };
}
const page = async (project: string) => {
  const res = await fetch(`${w.url}/simple/${project}/`, { headers: { accept: JSON_PAGE } });
  return res.status === 200 ? { bytes: new Uint8Array(await res.arrayBuffer()) } : null;
};

test("shuffled, duplicated delivery: file names keep their path and bytes, revocations last, pages are signed", async () => {
  const messages: QueueMessage[] = [];
  const revoked: string[] = [];
  for (const [i, project] of PROJECTS.entries()) {
    for (const version of ["0.1", "0.2", "1.0"].slice(0, 2 + (i % 2))) {
      const wheel = buildWheel(project, version);
      const home = `packages/${project}/${wheel.filename}`;
      messages.push(await stored(home, wheel.bytes), await stored(`${home}.metadata`, wheel.metadata));
      // The mirror: the same file name elsewhere, with other bytes, and a stray .metadata beside it.
      if (version === "0.1") {
        const forged = buildWheel(project, version, { extra: "# forged" });
        messages.push(await stored(`mirror/${project}/${wheel.filename}`, forged.bytes));
        messages.push(await stored(`mirror/${project}/${wheel.filename}.metadata`, new TextEncoder().encode("Name: forged\n")));
      }
      // A removal of a never-published path with the same file name.
      messages.push(await request({ remove: [`unrelated/${project}/${wheel.filename}`] }));
      if (project === "gamma" && version === "0.2") {
        messages.push(await request({ remove: [home] }));
        revoked.push(wheel.filename);
      }
    }
  }
  const random = prng(20261204);
  const order = [...messages, ...messages];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }

  const bound = new Map<string, { url: string; sha256: string }>();
  const gone = new Set<string>();
  for (let i = 0; i < order.length; ) {
    const size = 1 + Math.floor(random() * 5);
    await deliver(w, order.slice(i, i + size));
    i += size;
    const v = await verifiedState(w, rootBytes, BITS);
    for (const project of PROJECTS) {
      const served = await page(project);
      const signed = v.target(pageTargetPaths(project).json);
      if (!served) {
        expect(signed).toBeUndefined();
        continue;
      }
      // The page served is the page signed.
      expect(sha256(served.bytes)).toBe(signed!.hashes.sha256);
      const json = JSON.parse(new TextDecoder().decode(served.bytes));
      const listed = new Set<string>();
      for (const f of json.files) {
        listed.add(f.filename);
        const now = { url: f.url, sha256: f.hashes.sha256 };
        expect(bound.get(f.filename) ?? now, `${f.filename} changed its path or bytes`).toEqual(now);
        bound.set(f.filename, now);
        expect(gone.has(f.filename), `${f.filename} came back`).toBe(false);
        // The page lists the path that is signed with those bytes.
        expect(v.target(decodeURIComponent(f.url.slice("../../targets/".length)))?.hashes.sha256).toBe(f.hashes.sha256);
      }
      for (const filename of bound.keys()) if (filename.startsWith(`${project.replace(/-/g, "_")}-`) && !listed.has(filename)) gone.add(filename);
    }
  }

  // Nothing lost: every upload was decided; each release is listed once (at its first-come path), revoked names are gone.
  for (const m of messages) {
    const id = "kind" in m && m.kind === "upload" ? m.id : eventUploadId(m as R2EventMessage);
    expect(["published", "rejected"]).toContain(((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any).state);
  }
  for (const filename of revoked) expect(gone.has(filename) || !bound.has(filename)).toBe(true);
  expect([...gone].every((f) => revoked.includes(f))).toBe(true);
  for (const project of PROJECTS) {
    const json = JSON.parse(new TextDecoder().decode((await page(project))!.bytes));
    const expected = ["0.1", "0.2", "1.0"].slice(0, 2 + (PROJECTS.indexOf(project) % 2)).map((v) => buildWheel(project, v).filename).filter((f) => !revoked.includes(f));
    expect(json.files.map((f: any) => f.filename).sort()).toEqual(expected.sort());
  }

  // Shared content under retention: two mutable targets hold alpha's page bytes, then both move on.
  const alpha = (await page("alpha"))!.bytes;
  expect((await putContent(w, alpha)).status).toBeLessThan(300);
  const entry = (path: string, serial: number, bytes: Uint8Array) => ({ path, length: bytes.length, hashes: { sha256: sha256(bytes) }, serial });
  await deliver(w, [await request({ targets: [entry("config/one.json", 1, alpha), entry("config/two.json", 1, alpha)] })]);
  const other = new TextEncoder().encode("moved on");
  expect((await putContent(w, other)).status).toBeLessThan(300);
  await deliver(w, [await request({ targets: [entry("config/one.json", 2, other), entry("config/two.json", 2, other)] })]);
  const more = new TextEncoder().encode("moved on again");
  expect((await putContent(w, more)).status).toBeLessThan(300);
  await deliver(w, [await request({ targets: [entry("config/one.json", 3, more), entry("config/two.json", 3, more)] })]);
  await setClock(w, realNow() + 60_000);
  expect(await runCron(w)).toBe("ok");
  expect(await page("alpha")).toEqual({ bytes: alpha });
  const next = buildWheel("alpha", "9.0");
  const e = await stored(`packages/alpha/${next.filename}`, next.bytes);
  await deliver(w, [e]);
  expect(JSON.parse(new TextDecoder().decode((await page("alpha"))!.bytes)).versions).toContain("9.0");
}, 300_000);
