import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ed25519Signer } from "../../shared/keys.js";
import { admin, bootstrap, offlineKeys, signedInit, status } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { type TestWorker, startWorker } from "../support/worker.js";

describe("bootstrap", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;
  beforeAll(async () => {
    w = await startWorker();
    repo = await bootstrap(w, 4);
  });
  afterAll(() => w.close());

  test("a tuf-js client refreshes and verifies every top-level role and a bin", async () => {
    const client = new TufClient(w.url, repo.rootBytes);
    expect(await client.targetInfo("packages/none/example-1.0.tar.gz")).toBeNull();
    expect(client.trusted("timestamp").signed.version).toBe(1);
    expect(client.trusted("snapshot").signed.meta["bins-0.json"]).toEqual({ version: 1 });
    client.close();
  });

  test("status reports the published roles", async () => {
    const s = await status(w);
    expect(s.published).toBe(true);
    expect(s.roles.timestamp.version).toBe(1);
    expect(s.roles.bins.count).toBe(16);
    expect(s.job.kind).toBe("bootstrap");
    expect(s.job.finished).toBeTruthy();
    // Recorded by the writer, which holds the key; the request path reads the record (invariant 10).
    expect(s.onlineKeys).toEqual([(await ed25519Signer(w.onlineSeed)).key.keyid]);
  });

  test("bootstrapping twice is refused with 409 and changes nothing", async () => {
    const again = await signedInit(w, 4, await offlineKeys());
    const res = await admin(w, "/v1/admin/bootstrap", { root: again.root.toJSON(), targets: again.targets.toJSON() });
    expect(res.status).toBe(409);
    const root = await fetch(`${w.url}/metadata/1.root.json`);
    expect(await root.text()).toBe(new TextDecoder().decode(repo.rootBytes));
  });
});
