// Issue 20: moving a running deployment from the single-invocation writer to the sharded one (and
// back) is a configuration change, WRITER_SHARDS, with no data to migrate: shards read the bins
// they do not hold from R2. Nothing published before the switch is lost, every bin verifies, and
// publishing goes on. Guards README invariants 1, 3 and 5 across the switch.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, expect, test } from "vitest";
import { shardOf } from "../../worker/publish/bin-shards.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { verifiedState } from "../support/published.js";
import { upload } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 4;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
let w: TestWorker;
let rootBytes: Uint8Array;
beforeAll(async () => {
  w = await startWorker({ queueConsumer: false, vars: { WRITER_SHARDS: "0", SIMPLE_PAGES: "index" } });
  rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
});
afterAll(() => w.close());

async function publish(prefix: string, count: number) {
  const targets = Array.from({ length: count }, (_, i) => ({ path: `files/${prefix}/${i}.bin`, length: i + 1, hashes: { sha256: sha256(`${prefix}${i}`) } }));
  const res = await upload(w, { targets });
  expect(res.status).toBe(202);
  const id = ((await res.json()) as { id: string }).id;
  await deliver(w, [{ kind: "upload", id }]);
  expect(((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any).state).toBe("published");
  return targets;
}

test("the bin of every shard is one of 64; bins spread over all of them", () => {
  const shards = new Set(Array.from({ length: 2 ** 14 }, (_, i) => shardOf(`bins-${i.toString(16).padStart(4, "0")}`, 64)));
  expect(shards.size).toBe(64);
});

test("publishing, then switching to shards, then back: nothing lost, every bin verifies", async () => {
  const before = await publish("before", 100);
  await w.reconfigure({ WRITER_SHARDS: "8" });
  const during = await publish("sharded", 100);
  await w.reconfigure({ WRITER_SHARDS: "0" });
  const after = await publish("after", 50);
  const v = await verifiedState(w, rootBytes, BITS);
  for (const t of [...before, ...during, ...after]) expect(v.target(t.path)?.hashes.sha256, t.path).toBe(t.hashes.sha256);
});
