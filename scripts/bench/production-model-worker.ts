/**
 * Benchmark and test entry: the real Worker (createWorker) run under the production model
 * (production-model.ts): 30 ms per R2 call (MODEL_LATENCY_MS), at most 6 subrequests in flight per
 * invocation (MODEL_MAX_IN_FLIGHT), every subrequest counted. Never deployed (wrangler.toml's main
 * is worker/index.ts).
 *
 * Control routes, outside the model:
 * - GET /__model/invocations[?take=1]: the finished invocations' records (take: and forget them),
 *   and how many queue or cron invocations are still running;
 * - POST /__model/probe {gets, sends}: one invocation that makes `gets` R2 gets and `sends` queue
 *   sends all at once, through the model: what the test proves the limits with;
 * - POST /__model/vars {NAME: value}: vars changed without a restart (with MODEL_METADATA=memory).
 */
import { createWorker } from "../../worker/index.js";
import { createBinShard } from "../../worker/publish/bin-shards.js";
import { createSequencer } from "../../worker/publish/sequencer.js";
import type { Env } from "../../worker/env.js";
import type { QueueMessage } from "../../worker/storage/messages.js";
import { MemoryBucket } from "../../test/support/memory-bucket.js";
import { type Invocation, ProductionModel } from "./production-model.js";

type ModelEnv = Env & { MODEL_LATENCY_MS?: string; MODEL_OTHER_LATENCY_MS?: string; MODEL_MAX_IN_FLIGHT?: string; MODEL_METADATA?: string };

/**
 * MODEL_METADATA="memory": METADATA is a bucket in this isolate's memory (test/support/memory-bucket.ts,
 * with R2's rules), shared by the Worker, the sequencer and the shards, instead of Miniflare's R2
 * simulator. The model still delays each call and limits them six at a time; what goes is the
 * simulator's CPU (about 1 ms a put, SQLite and files), which on this machine shares the one core
 * the Worker's own code runs on, and which on the platform is R2's, not the Worker's.
 */
const memoryMetadata = new MemoryBucket();
/** Vars set through POST /__model/vars: a restart (reconfigure) would lose a bucket kept in memory. */
let overrides: Record<string, string> = {};
const storage = (env: Env): Env => {
  const e = { ...env, ...overrides };
  return (e as ModelEnv).MODEL_METADATA === "memory" ? { ...e, METADATA: memoryMetadata.asR2() } : e;
};

const model = new ProductionModel();
/**
 * The invocation being started. createWorker calls wrapEnv synchronously as each handler begins
 * (fetch, queue, scheduled), so the handler below sets this around that call and no other
 * invocation can interleave.
 */
let starting: Invocation | null = null;

const worker = createWorker({
  wrapEnv: (env: Env) => {
    if (!starting) throw new Error("production model: wrapEnv called outside the start of an invocation");
    return model.wrap(storage(env), starting);
  },
});

function configure(env: ModelEnv) {
  const num = (v: string | undefined) => (v === undefined || v === "" ? undefined : Number(v));
  model.configure({ latencyMs: num(env.MODEL_LATENCY_MS), otherLatencyMs: num(env.MODEL_OTHER_LATENCY_MS), maxInFlight: num(env.MODEL_MAX_IN_FLIGHT) });
}

/** Starts `handler` as invocation `inv`: wrapEnv runs in this synchronous stretch. */
function start<T>(inv: Invocation, handler: () => Promise<T>): Promise<T> {
  starting = inv;
  try {
    return handler();
  } finally {
    starting = null;
  }
}

/** `env` with R2 and queue calls counted as they reach the binding (after the model's slot and delay). */
function spy(env: Env, raw: { inFlight: number; max: number }): Env {
  const around = <T>(call: () => Promise<T>) => {
    raw.max = Math.max(raw.max, ++raw.inFlight);
    return call().finally(() => raw.inFlight--);
  };
  return {
    ...env,
    METADATA: {
      put: (...a: Parameters<R2Bucket["put"]>) => around(() => env.METADATA.put(...a)),
      get: (k: string) => around(() => env.METADATA.get(k)),
      head: (k: string) => around(() => env.METADATA.head(k)),
      list: (o?: R2ListOptions) => around(() => env.METADATA.list(o)),
      delete: (k: string) => around(() => env.METADATA.delete(k)),
    } as unknown as R2Bucket,
    UPLOADS: { send: (m: QueueMessage) => around(() => env.UPLOADS.send(m)) } as unknown as Env["UPLOADS"],
  };
}

async function probe(env: Env, body: { gets?: number; sends?: number }) {
  return model.invoke("fetch", "/__model/probe", async (inv) => {
    // Under the model, a spy on the raw bindings: what really reaches R2 and the queue at once.
    const raw = { inFlight: 0, max: 0 };
    const wrapped = model.wrap(spy(env, raw), inv);
    const t0 = Date.now();
    await wrapped.METADATA.put("probe/object", "probe bytes");
    const t1 = Date.now();
    await Promise.all([
      ...Array.from({ length: body.gets ?? 0 }, async () => (await wrapped.METADATA.get("probe/object"))?.text()),
      ...Array.from({ length: body.sends ?? 0 }, (_, i) => wrapped.UPLOADS.send({ kind: "probe", i } as unknown as QueueMessage)),
    ]);
    return { putMs: t1 - t0, concurrentMs: Date.now() - t1, rawMaxInFlight: raw.max, id: inv.record.id };
  });
}

async function control(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === "/__model/invocations") {
    const running = model.running();
    return Response.json({ options: model.options, running, invocations: model.invocations({ take: url.searchParams.has("take") }) });
  }
  if (url.pathname === "/__model/vars" && request.method === "POST") {
    overrides = { ...overrides, ...((await request.json()) as Record<string, string>) };
    return Response.json({ overrides });
  }
  if (url.pathname === "/__model/probe" && request.method === "POST") {
    return Response.json(await probe(env, (await request.json()) as { gets?: number; sends?: number }));
  }
  return Response.json({ error: "unknown model control" }, { status: 404 });
}

export default {
  fetch(request: Request, env: ModelEnv, ctx: ExecutionContext) {
    configure(env);
    const path = new URL(request.url).pathname;
    if (path.startsWith("/__model/")) return control(request, env);
    return model.invoke("fetch", `${request.method} ${path}`, (inv) => start(inv, async () => worker.fetch(request, env, ctx)));
  },
  queue(batch: MessageBatch<QueueMessage>, env: ModelEnv, ctx: ExecutionContext) {
    configure(env);
    return model.invoke("queue", `${batch.queue} (${batch.messages.length} messages)`, (inv) => start(inv, () => worker.queue(batch, env)));
  },
  scheduled(controller: ScheduledController, env: ModelEnv, ctx: ExecutionContext) {
    configure(env);
    return model.invoke("scheduled", controller.cron, (inv) => start(inv, () => worker.scheduled(controller, env)));
  },
} satisfies ExportedHandler<ModelEnv, QueueMessage>;

/** A Durable Object's wrapEnv under the model: its bindings for the invocation being started. */
const objectEnv = (what: string) => (env: Env): Env => {
  if (!starting) throw new Error(`production model: ${what}'s wrapEnv called outside the start of its invocation`);
  return model.wrap(storage(env), starting);
};

/**
 * The writer's shards under the model too: each call to a shard is an invocation of its own, with
 * its own six slots, as a Durable Object's request is on the platform.
 */
const ModelShard = createBinShard(objectEnv("a shard"));

export class BinShard extends ModelShard {
  override fetch(request: Request): Promise<Response> {
    configure(this.env as ModelEnv);
    return model.invoke("fetch", `shard ${new URL(request.url).pathname}`, (inv) => start(inv, () => super.fetch(request)));
  }
}

/**
 * The sequencer under the model: each alarm (a commit) and each call into it (the queue consumer
 * moving a batch in, a status read) is an invocation of its own with its own six slots.
 */
const ModelSequencer = createSequencer(objectEnv("the sequencer"));

export class Sequencer extends ModelSequencer {
  override fetch(request: Request): Promise<Response> {
    configure(this.env as ModelEnv);
    return model.invoke("fetch", `sequencer ${new URL(request.url).pathname}`, () => super.fetch(request));
  }

  override alarm(): Promise<void> {
    configure(this.env as ModelEnv);
    return model.invoke("alarm", "sequencer alarm", (inv) => start(inv, () => super.alarm()));
  }
}
