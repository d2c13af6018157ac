// Invariants 1, 2 and 30 for project changes, in workerd through the faulty bucket: a crash at each
// write of a claim's or a push's commit (the project role, recently-claimed, the snapshot, the
// timestamp) publishes the change once; a push's version file left by a commit that never published
// is never replaced (a push of other bytes at that version is refused, naming the next version);
// and a replayed push changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Signer, ed25519Signer, randomSeed } from "../../shared/keys.js";
import { faults, writesSoFar } from "../support/consumer.js";
import { DIR, bytesOf, currentSnapshot, keysOf, moveToLayout, push, published, role } from "../support/project-worker.js";
import { admin, bootstrap, status, waitFor } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { deliverNow } from "../support/uploads.js";
import { HOUR, realNow, runCron, setClock } from "./cron-support.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const files = (n: number) => Array.from({ length: n }, (_, i) => `${DIR}/demo-1.${i}.tar.gz`);

describe("project changes under crashes and replays", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  const k = {} as Record<"offline" | "alice", Signer>;
  let version = 1;

  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", vars: { SIMPLE_PAGES: "index" } });
    const repo = await bootstrap(w, 4);
    rootBytes = repo.rootBytes;
    for (const name of ["offline", "alice"] as const) k[name] = await ed25519Signer(randomSeed());
    await moveToLayout(w, repo.targets, repo.keys.targets, k.offline, await ed25519Signer(w.onlineSeed));
    for (const path of files(8)) await (await w.packages()).put(path, bytesOf(path));
  }, 180_000);
  afterAll(async () => {
    await faults(w, []);
    await w?.close();
  });

  test("a crash at recently-claimed's write (landed, then failed): the claim and its first role are published once", async () => {
    await faults(w, [1], { keys: "\\.recently-claimed\\.json$", landed: true });
    const record = await published(w, await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(k.alice), role: (await role(1, files(1), [k.alice])).toJSON() }));
    expect(record.state).toBe("published");
    expect((await writesSoFar(w)).failures).toBe(1);
    const snapshot = await currentSnapshot(w);
    expect(snapshot.signed.meta["project-demo.json"]).toEqual({ version: 1 });
    await faults(w, []);
  }, 120_000);

  for (const [what, keys, landed] of [
    ["the project role's write", "\\.project-demo\\.json$", true],
    ["the snapshot's write", "\\.snapshot\\.json$", false],
    ["the timestamp's write (the commit point)", "^metadata/timestamp\\.json$", false],
  ] as const) {
    test(`a crash at ${what}: the push is delivered again and published once`, async () => {
      version++;
      await faults(w, [1], { keys, landed });
      const record = await published(w, await push(w, "demo", "project-demo", await role(version, files(version), [k.alice]), k.alice));
      expect(record.state).toBe("published");
      expect((await writesSoFar(w)).failures).toBe(1);
      expect((await currentSnapshot(w)).signed.meta["project-demo.json"]).toEqual({ version });
      const client = new TufClient(w.url, rootBytes);
      expect((await client.download(files(version).at(-1)!)).toString()).toBe(`bytes of ${files(version).at(-1)}`);
      client.close();
      await faults(w, []);
    }, 120_000);
  }

  test("a replayed push (the queue delivers its message again) publishes nothing new", async () => {
    const before = (await status(w)).roles.timestamp.version;
    const last = await published(w, await push(w, "demo", "project-demo", await role(++version, files(4), [k.alice]), k.alice));
    const after = (await status(w)).roles.timestamp.version;
    expect(after).toBeGreaterThan(before);
    await deliverNow(w, [{ kind: "upload", id: last.id }, { kind: "upload", id: last.id }]);
    await waitFor("the inbox to drain", async () => (await status(w)).writer.sequencer.backlog === 0);
    expect((await status(w)).roles.timestamp.version).toBe(after);
    expect(await (await fetch(`${w.url}/v1/uploads/${last.id}`)).json()).toEqual(last);
  }, 60_000);

  test("a version file left by a commit that never published is never replaced: other bytes at that version are refused", async () => {
    // Every snapshot write fails: the push's role file lands, its commit never does; retries run out.
    await fetch(`${w.url}/__test/sequencer`, { method: "POST", body: JSON.stringify({ retryScale: 0.01 }) });
    await faults(w, Array.from({ length: 1000 }, (_, i) => i + 1), { keys: "\\.snapshot\\.json$" });
    const stuck = ++version;
    try {
      const record = await published(w, await push(w, "demo", "project-demo", await role(stuck, files(5), [k.alice]), k.alice));
      expect(record.state).toBe("rejected");
      expect(record.rejected[0].reason).toMatch(/^gave up after 11 attempts/);
    } finally {
      await faults(w, []);
      await fetch(`${w.url}/__test/sequencer`, { method: "POST", body: JSON.stringify({ retryScale: 1 }) });
    }
    expect((await currentSnapshot(w)).signed.meta["project-demo.json"].version).toBe(stuck - 1);
    const stored = async () => new Uint8Array(await (await (await w.metadata()).get(`metadata/${stuck}.project-demo.json`))!.arrayBuffer());
    const left = await stored();
    // Other content at that version: refused by the writer, the file untouched.
    const other = await published(w, await push(w, "demo", "project-demo", await role(stuck, files(6), [k.alice]), k.alice));
    expect(other.state).toBe("rejected");
    expect(other.rejected[0].reason).toContain(`sign and push version ${stuck + 1}`);
    expect(Buffer.from(await stored()).equals(Buffer.from(left))).toBe(true);
    // The next version publishes.
    expect((await published(w, await push(w, "demo", "project-demo", await role(stuck + 1, files(6), [k.alice]), k.alice))).state).toBe("published");
    version = stuck + 1;
  }, 180_000);

  test("the cron renews recently-claimed (online) once half its validity has passed, with its claims as they are", async () => {
    const name = (v: number) => `${v}.recently-claimed.json`;
    const before = (await currentSnapshot(w)).signed.meta["recently-claimed.json"].version as number;
    const old = (await (await fetch(`${w.url}/metadata/${name(before)}`)).json()) as { signed: { expires: string; delegations: unknown } };
    await runCron(w);
    expect((await currentSnapshot(w)).signed.meta["recently-claimed.json"].version).toBe(before); // not due yet
    await setClock(w, realNow() + 13 * HOUR);
    try {
      expect(await runCron(w)).toBe("ok");
      const after = (await currentSnapshot(w)).signed.meta["recently-claimed.json"].version as number;
      expect(after).toBeGreaterThan(before);
      const renewed = (await (await fetch(`${w.url}/metadata/${name(after)}`)).json()) as typeof old;
      expect(Date.parse(renewed.signed.expires)).toBeGreaterThan(Date.parse(old.signed.expires) + 12 * HOUR);
      expect(renewed.signed.delegations).toEqual(old.signed.delegations);
    } finally {
      await setClock(w, realNow());
    }
  }, 120_000);
});
