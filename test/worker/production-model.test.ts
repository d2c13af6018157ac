import { afterAll, beforeAll, expect, test } from "vitest";
import { type InvocationRecord, ProductionModel } from "../../scripts/bench/production-model.js";
import { type TestWorker, startWorker } from "../support/worker.js";

// The production model (scripts/bench/production-model.ts) enforces what the platform enforces:
// at most 6 subrequests in flight per invocation, R2 calls, queue sends and Durable Object calls
// alike, each R2 call delayed; and it counts them. Proven on the bench's Worker entry in workerd,
// and for bindings this Worker does not have yet (Durable Objects) on fakes in Node. No speed is
// asserted: the lower bounds on time are what the delays make certain.

const LATENCY = 30;
let w: TestWorker;
beforeAll(async () => {
  w = await startWorker({ entry: "production-model", queueConsumer: false, vars: { MODEL_LATENCY_MS: String(LATENCY) } });
});
afterAll(() => w.close());

async function invocations(): Promise<InvocationRecord[]> {
  return ((await (await fetch(`${w.url}/__model/invocations?take=1`)).json()) as { invocations: InvocationRecord[] }).invocations;
}

async function probe(body: { gets?: number; sends?: number }) {
  const res = await fetch(`${w.url}/__model/probe`, { method: "POST", body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  const result = (await res.json()) as { putMs: number; concurrentMs: number; rawMaxInFlight: number; id: number };
  const record = (await invocations()).find((r) => r.id === result.id)!;
  return { ...result, record };
}

test("20 concurrent R2 gets: at most 6 reach R2 at once, each 30 ms later; 21 subrequests counted", async () => {
  const { putMs, concurrentMs, rawMaxInFlight, record } = await probe({ gets: 20 });
  expect(putMs).toBeGreaterThanOrEqual(LATENCY);
  expect(rawMaxInFlight).toBeGreaterThan(0);
  expect(rawMaxInFlight).toBeLessThanOrEqual(6);
  expect(record.maxInFlight).toBe(6);
  // 20 calls, 6 at a time, each holding its slot at least 30 ms: at least 4 rounds.
  expect(concurrentMs).toBeGreaterThanOrEqual(Math.ceil(20 / 6) * LATENCY);
  expect(record.subrequests).toBe(21);
  expect(record.ops).toEqual({ "METADATA.put probe/object": 1, "METADATA.get probe/object": 20 });
  expect(record.queuedMs).toBeGreaterThan(0);
});

test("queue sends share the 6 slots with R2 calls and are counted", async () => {
  const { rawMaxInFlight, record, concurrentMs } = await probe({ gets: 10, sends: 10 });
  expect(rawMaxInFlight).toBeLessThanOrEqual(6);
  expect(record.maxInFlight).toBe(6);
  expect(record.ops).toMatchObject({ "METADATA.get probe/object": 10, "UPLOADS.send": 10 });
  expect(record.subrequests).toBe(21);
  expect(concurrentMs).toBeGreaterThanOrEqual(Math.ceil(10 / 6) * LATENCY);
});

test("the Worker's own invocations are modelled: wrapEnv runs once per fetch, queue and scheduled", async () => {
  await invocations();
  expect((await fetch(`${w.url}/v1/status`)).status).toBe(200);
  const worker = await w.mf.getWorker();
  await worker.queue("tuf-edge-uploads", [{ id: "m1", timestamp: new Date(), attempts: 1, body: { kind: "upload", id: "r2-none" } }]);
  await worker.scheduled({ cron: "*/5 * * * *" });
  const records = await invocations();
  expect(records.map((r) => r.kind).sort()).toEqual(["fetch", "queue", "scheduled"]);
  for (const r of records) {
    expect(r.wrapCalls).toBe(1);
    expect(r.subrequests).toBeGreaterThan(0);
    expect(r.maxInFlight).toBeLessThanOrEqual(6);
    expect(r.end).toBeGreaterThanOrEqual(r.start);
    expect(Object.keys(r.ops).every((op) => /^(METADATA|PACKAGES|UPLOADS)\./.test(op))).toBe(true);
  }
  // Every R2 call is delayed: an invocation lasts at least as long as its calls, six at a time.
  for (const r of records) expect(r.end - r.start).toBeGreaterThanOrEqual(Math.ceil(r.subrequests / 6) * LATENCY);
});

// Fakes in Node: a Durable Object namespace, whose stubs' fetch and RPC calls are subrequests.
class FakeStub {
  constructor(readonly id: string, private readonly seen: { now: number; max: number }) {}
  private async work() {
    this.seen.max = Math.max(this.seen.max, ++this.seen.now);
    await new Promise((r) => setTimeout(r, 10));
    this.seen.now--;
  }
  async fetch() { await this.work(); return new Response("ok"); }
  async commit(n: number) { await this.work(); return n; }
}
class FakeNamespace {
  readonly seen = { now: 0, max: 0 };
  idFromName(name: string) { return name; }
  get(id: string) { return new FakeStub(id, this.seen); }
}
class FakeBucket {
  async get(key: string) { return { key, arrayBuffer: async () => new ArrayBuffer(1), text: async () => "x" }; }
  async put() { return null; }
  async head(_key?: string) { return null; }
  async list() { return { objects: [] }; }
  async delete() {}
}

test("Durable Object stubs are wrapped generically: fetch and RPC calls count and share the 6 slots", async () => {
  const model = new ProductionModel({ latencyMs: 5 });
  const env = { SEQUENCER: new FakeNamespace(), METADATA: new FakeBucket(), SOME_VAR: "text", JSON_VAR: { a: 1 } };
  const record = await model.invoke("fetch", "fake", async (inv) => {
    const e = model.wrap(env, inv);
    expect(e.SOME_VAR).toBe("text");
    expect(e.JSON_VAR).toBe(env.JSON_VAR);
    const id = e.SEQUENCER.idFromName("x"); // local: no subrequest, stays synchronous
    expect(id).toBe("x");
    const stub = e.SEQUENCER.get(id);
    expect(stub.id).toBe("x");
    await Promise.all([
      ...Array.from({ length: 8 }, () => stub.fetch()),
      ...Array.from({ length: 8 }, (_, i) => stub.commit(i)),
      ...Array.from({ length: 4 }, async () => (await e.METADATA.get("k")).text()),
    ]);
    return inv.record;
  });
  expect(env.SEQUENCER.seen.max).toBeLessThanOrEqual(6);
  expect(record).toMatchObject({ subrequests: 20, maxInFlight: 6, ops: { "SEQUENCER.stub.fetch": 8, "SEQUENCER.stub.commit": 8, "METADATA.get k": 4 } });
});

test("an R2 body holds its slot until read; unread bodies are cancelled, oldest first, when every slot is idle", async () => {
  const model = new ProductionModel({ latencyMs: 1 });
  const env = { METADATA: new FakeBucket() };
  const record = await model.invoke("fetch", "bodies", async (inv) => {
    const e = model.wrap(env, inv);
    const unread = [];
    for (let i = 0; i < 6; i++) unread.push(await e.METADATA.get(`u${i}`)); // six slots held by unread bodies
    await e.METADATA.head("h"); // would wait forever without the platform's deadlock breaker
    expect(await unread[5]!.text()).toBe("x");
    return inv.record;
  });
  expect(record).toMatchObject({ subrequests: 7, maxInFlight: 6, cancelledBodies: 1 });
});
