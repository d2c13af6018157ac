// Issue 20: the sequencer Durable Object is the writer (worker/publish/sequencer.ts). The queue only
// moves batches into its SQLite inbox; its alarm commits, at most once a second. Guards README
// invariants 1 (a crash leaves no half-visible commit), 5 (duplicate and replayed delivery), and
// the move from the queue consumer to the sequencer and back with no upload lost.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { faults, writesSoFar } from "../support/consumer.js";
import { verifiedState } from "../support/published.js";
import { bootstrap, status, upload, waitFor, waitForUpload } from "../support/repo.js";
import { deliverNow } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 4;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const targetsOf = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => ({ path: `files/${prefix}/${i}.bin`, length: i + 1, hashes: { sha256: sha256(`${prefix}${i}`) } }));

async function send(w: TestWorker, targets: ReturnType<typeof targetsOf>) {
  const res = await upload(w, { targets });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
}

async function expectAllPublished(w: TestWorker, rootBytes: Uint8Array, targets: ReturnType<typeof targetsOf>) {
  const v = await verifiedState(w, rootBytes, BITS);
  for (const t of targets) expect(v.target(t.path)?.hashes.sha256, t.path).toBe(t.hashes.sha256);
}

describe("the sequencer as the writer", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", vars: { SIMPLE_PAGES: "index" } });
    rootBytes = (await bootstrap(w, BITS)).rootBytes;
  });
  afterAll(() => w.close());

  test("the bootstrap's steps ran in its alarm; status describes it", async () => {
    const s = await status(w);
    expect(s.writer.kind).toBe("sequencer");
    expect(s.writer.shards).toBe(64);
    expect(s.writer.sequencer.lastAlarm.messages).toBeGreaterThan(0);
    expect(s.writer.sequencer.backlog).toBe(0);
    const page = await (await fetch(`${w.url}/`)).text();
    expect(page).toMatch(/<p id="writer">The sequencer commits, fanning bin work out to 64 shard objects\. Inbox: <span id="inbox">0<\/span> messages/);
  });

  test("group commit: 12 uploads sent at once land in fewer commits, a second or more apart", async () => {
    const before = (await status(w)).roles.timestamp.version as number;
    const all = Array.from({ length: 12 }, (_, i) => targetsOf(`group${i}`, 3));
    const ids = await Promise.all(all.map((t) => send(w, t)));
    const outcomes = await Promise.all(ids.map((id) => waitForUpload(w, id)));
    expect(outcomes.map((o) => o.state)).toEqual(ids.map(() => "published"));
    const versions = new Set(outcomes.map((o) => o.snapshotVersion as number));
    expect(versions.size).toBeLessThan(12);
    const commits = ((await status(w)).recentCommits as { timestampVersion: number; committedAt: string }[])
      .filter((c) => c.timestampVersion > before)
      .map((c) => Date.parse(c.committedAt))
      .sort((a, b) => a - b);
    for (let i = 1; i < commits.length; i++) expect(commits[i]! - commits[i - 1]!).toBeGreaterThanOrEqual(900);
    await expectAllPublished(w, rootBytes, all.flat());
  });

  test("a copy of a message delivered again (at-least-once, replayed) publishes nothing new", async () => {
    const id = await send(w, targetsOf("dup", 2));
    const first = await waitForUpload(w, id);
    const version = (await status(w)).roles.timestamp.version;
    // The queue hands the same message in twice more; the sequencer takes both copies.
    await deliverNow(w, [{ kind: "upload", id }, { kind: "upload", id }]);
    await waitFor("the inbox to drain", async () => (await status(w)).writer.sequencer.backlog === 0);
    const after = await (await fetch(`${w.url}/v1/uploads/${id}`)).json();
    expect(after).toEqual(first);
    expect((await status(w)).roles.timestamp.version).toBe(version);
  });

  for (const [what, keys, landed] of [
    ["the snapshot's write (the sequencer, between its inbox and R2)", "\\.snapshot\\.json$", false],
    ["a bin's write in a shard (fan-out), which lands and then fails", "\\.bins-[0-9a-f]+\\.json$", true],
    ["the timestamp's write (the commit point)", "^metadata/timestamp\\.json$", false],
  ] as const) {
    test(`a crash at ${what}: the upload stays in the inbox, is delivered again, and is published once`, async () => {
      await faults(w, [1], { keys, landed });
      const targets = targetsOf(`crash-${keys.length}`, 4);
      const id = await send(w, targets);
      const outcome = await waitForUpload(w, id, 90_000);
      expect(outcome.state).toBe("published");
      expect((await writesSoFar(w)).failures).toBe(1);
      await expectAllPublished(w, rootBytes, targets);
      const s = await status(w);
      expect(s.writer.sequencer.backlog).toBe(0);
    }, 120_000);
  }

  test("a message that fails every delivery is given up on after 11, recorded as rejected with the last error, and leaves the inbox", async () => {
    // Retry delays shortened a hundredfold; uploads' alarms stay a second apart.
    await fetch(`${w.url}/__test/sequencer`, { method: "POST", body: JSON.stringify({ retryScale: 0.01 }) });
    await faults(w, Array.from({ length: 1000 }, (_, i) => i + 1), { keys: "\\.snapshot\\.json$" });
    try {
      const id = await send(w, targetsOf("doomed", 2));
      const outcome = await waitForUpload(w, id, 90_000);
      expect(outcome.state).toBe("rejected");
      expect(outcome.rejected[0].reason).toMatch(/^gave up after 11 attempts: .*injected R2 write failure/);
      expect((await writesSoFar(w)).failures).toBe(11);
      await waitFor("the inbox to drain", async () => (await status(w)).writer.sequencer.backlog === 0);
    } finally {
      await faults(w, []);
      await fetch(`${w.url}/__test/sequencer`, { method: "POST", body: JSON.stringify({ retryScale: 1 }) });
    }
  }, 120_000);
});

describe("moving a running deployment between the queue consumer and the sequencer", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  beforeAll(async () => {
    w = await startWorker({ entry: "faulty", vars: { SIMPLE_PAGES: "index", WRITER: "consumer" } });
    rootBytes = (await bootstrap(w, BITS)).rootBytes;
  });
  afterAll(() => w.close());

  test("consumer → sequencer → consumer with uploads waiting in the inbox: none lost, every bin verifies", async () => {
    expect((await status(w)).writer).toEqual({ kind: "consumer", shards: 64 });
    const before = targetsOf("before", 20);
    expect((await waitForUpload(w, await send(w, before))).state).toBe("published");

    await w.reconfigure({ WRITER: "sequencer" });
    const during = targetsOf("sequenced", 20);
    expect((await waitForUpload(w, await send(w, during))).state).toBe("published");

    // Every commit of the sequencer now fails: an upload waits in its inbox when the switch back comes.
    await faults(w, Array.from({ length: 1000 }, (_, i) => i + 1), { keys: "\\.snapshot\\.json$" });
    const waiting = targetsOf("waiting", 20);
    const id = await send(w, waiting);
    await waitFor("the upload in the inbox", async () => {
      const q = (await status(w)).writer.sequencer;
      return q.backlog > 0 && q.retrying > 0;
    });
    expect(((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as { state: string }).state).toBe("queued");

    // Back to the consumer (the restart clears the faults): the inbox is handed back to the queue.
    await w.reconfigure({ WRITER: "consumer" });
    expect((await waitForUpload(w, id, 90_000)).state).toBe("published");
    const after = targetsOf("after", 20);
    expect((await waitForUpload(w, await send(w, after))).state).toBe("published");
    await expectAllPublished(w, rootBytes, [...before, ...during, ...waiting, ...after]);
  }, 180_000);
});
