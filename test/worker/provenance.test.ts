// Issue 22, part 5: PEP 740 provenance as signed targets. `<dist path>.provenance` stored beside
// the dist is a mutable target published in the same commit as its dist; it gains attestations
// later (ordered by the bucket's clock), every version stays downloadable by hash, the pages link
// it (JSON `provenance`, api-version 1.3; HTML `data-provenance`), and tuf-js verifies it.
// Guards README invariants 6 and 24.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pageTargetPaths } from "../../shared/simple/index.js";
import type { R2EventMessage } from "../../worker/storage/messages.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { verifiedState } from "../support/published.js";
import { TufClient } from "../support/tuf-client.js";
import { buildWheel } from "../support/wheel.js";
import { eventUploadId, storedInBucket } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 3;
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const attestations = (n: number) => new TextEncoder().encode(JSON.stringify({ version: 1, attestation_bundles: Array.from({ length: n }, (_, i) => ({ publisher: { kind: "GitHub", repository: `org/repo${i}` } })) }));

let w: TestWorker;
let rootBytes: Uint8Array;
beforeAll(async () => {
  w = await startWorker({ queueConsumer: false });
  rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
});
afterAll(() => w.close());

const stored = (path: string, bytes: Uint8Array) => storedInBucket(w, path, bytes);
const idOf = eventUploadId;
const record = async (id: string) => (await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any;
const jsonPage = async (project: string) => (await (await fetch(`${w.url}/simple/${project}/`, { headers: { accept: "application/vnd.pypi.simple.v1+json" } })).json()) as any;

describe("provenance (PEP 740) as signed targets", () => {
  const wheel = buildWheel("attested", "1.0");
  const path = `packages/at/${wheel.filename}`;
  const provenance = `${path}.provenance`;

  test("stored beside its dist, it is published in the same commit and linked from both pages", async () => {
    const before = (await verifiedState(w, rootBytes, BITS)).snapshot;
    await stored(provenance, attestations(1));
    await deliver(w, [await stored(path, wheel.bytes)]);
    const v = await verifiedState(w, rootBytes, BITS);
    expect(v.snapshot).toBe(before + 1);
    const signed = v.target(provenance)!;
    expect(signed.hashes.sha256).toBe(sha256(attestations(1)));
    expect(typeof signed.custom?.serial).toBe("number");
    const json = await jsonPage("attested");
    expect(json.meta["api-version"]).toBe("1.3");
    expect(json.files[0].provenance).toBe(`../../targets/${provenance}`);
    const html = await (await fetch(`${w.url}/simple/attested/`, { headers: { accept: "text/html" } })).text();
    expect(html).toContain(`data-provenance="../../targets/${provenance}"`);
    // tuf-js resolves it through the bins and downloads it by hash from tuf-edge itself.
    const client = new TufClient(w.url, rootBytes);
    try {
      expect(new Uint8Array(await client.download(provenance))).toEqual(attestations(1));
    } finally {
      client.close();
    }
  });

  test("it gains attestations: a later version replaces it, the earlier stays downloadable by hash, a late notification changes nothing", async () => {
    const first = (await verifiedState(w, rootBytes, BITS)).target(provenance)!;
    await new Promise((r) => setTimeout(r, 1100)); // R2 orders versions of one key by the second
    const late = { account: "a", action: "PutObject", bucket: "tuf-edge-packages", object: { key: provenance, eTag: "old" }, eventTime: new Date().toISOString() } as R2EventMessage;
    const e = await stored(provenance, attestations(2));
    await deliver(w, [e]);
    expect((await record(idOf(e))).state).toBe("published");
    const second = (await verifiedState(w, rootBytes, BITS)).target(provenance)!;
    expect(second.hashes.sha256).toBe(sha256(attestations(2)));
    expect(second.custom!.serial as number).toBeGreaterThan(first.custom!.serial as number);
    const byHash = (sha: string) => fetch(`${w.url}/targets/packages/at/${sha}.${wheel.filename}.provenance`);
    expect(new Uint8Array(await (await byHash(first.hashes.sha256!)).arrayBuffer())).toEqual(attestations(1));
    expect(new Uint8Array(await (await byHash(second.hashes.sha256!)).arrayBuffer())).toEqual(attestations(2));
    // A notification delivered late reads what the bucket holds now: the same version, unchanged.
    const snapshot = (await verifiedState(w, rootBytes, BITS)).snapshot;
    await deliver(w, [late]);
    expect((await verifiedState(w, rootBytes, BITS)).snapshot).toBe(snapshot);
    expect((await jsonPage("attested")).files[0].provenance).toBe(`../../targets/${provenance}`);
  });

  test("provenance beside a same-named file at another path is refused", async () => {
    const e = await stored(`elsewhere/${wheel.filename}.provenance`, attestations(1));
    await deliver(w, [e]);
    expect((await record(idOf(e))).rejected[0].reason).toMatch(/listed by attested at another path .*its \.provenance belongs beside it/);
    expect((await verifiedState(w, rootBytes, BITS)).target(pageTargetPaths("attested").json)).toBeDefined();
  });
});
