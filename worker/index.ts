import { Hono } from "hono";
import { systemClock, type Clock } from "../shared/time.js";
import { type AppEnv, type Env, readConfig } from "./env.js";
import { adminRoutes } from "./http/admin.js";
import { readRoutes } from "./http/read.js";
import { statusRoutes } from "./http/status.js";
import { uploadRoutes } from "./http/uploads.js";
import { type ConsumerContext, consume, consumeDeadLetters } from "./publish/consumer.js";
import { countR2Calls, runCron } from "./publish/cron.js";
import type { QueueMessage } from "./publish/messages.js";
import { onlineSigners } from "./publish/signers.js";
import { ContentStore } from "./storage/content.js";
import { JobStore } from "./storage/jobs.js";
import { MetadataStore } from "./storage/metadata-store.js";
import { UploadStore } from "./storage/uploads.js";

export interface WorkerOptions {
  clock?: Clock;
  /** Test entries wrap bindings (to inject R2 faults); production passes env through. */
  wrapEnv?: (env: Env) => Env;
}

/**
 * R2 accepts one write per second per key: the timestamp commit waits for its slot. "Now" is the
 * Worker's clock, like every other time (a test that moves the clock ahead does not wait).
 */
async function waitForSlot(lastWrite: Date, clock: Clock) {
  const wait = Math.min(1000, lastWrite.getTime() + 1000 - clock());
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

export async function consumerContext(env: Env, clock: Clock): Promise<ConsumerContext> {
  const config = readConfig(env);
  const store = new MetadataStore(env.METADATA);
  return {
    store,
    signers: await onlineSigners(env),
    config,
    clock,
    waitForSlot: (lastWrite) => waitForSlot(lastWrite, clock),
    jobs: new JobStore(env.METADATA),
    uploads: new UploadStore(env.METADATA, clock),
    packages: env.PACKAGES,
    content: new ContentStore(env.METADATA),
    pagesMode: config.pagesMode,
    cacheDrainSeconds: config.timestampMaxAgeSeconds + 5,
    enqueue: async (message, delaySeconds = 0) => {
      await env.UPLOADS.send(message, delaySeconds ? { delaySeconds } : undefined);
    },
    enqueueAll: async (messages) => {
      for (let i = 0; i < messages.length; i += 100) await env.UPLOADS.sendBatch(messages.slice(i, i + 100).map((body) => ({ body })));
    },
  };
}

const DEAD_LETTER_QUEUE = "tuf-edge-uploads-dlq";

/** fetch validates and enqueues; queue is the single writer; scheduled renews (architecture.md). */
export function createWorker({ clock = systemClock, wrapEnv = (env) => env }: WorkerOptions = {}) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("now", clock());
    await next();
  });
  app.route("/", uploadRoutes);
  app.route("/", adminRoutes);
  app.route("/", statusRoutes);
  app.route("/", readRoutes);
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    console.error(JSON.stringify({ event: "error", path: c.req.path, message: err.message }));
    return c.json({ error: "internal error" }, 500);
  });

  return {
    fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, wrapEnv(env), ctx),
    async queue(batch: MessageBatch<QueueMessage>, env: Env) {
      const ctx = await consumerContext(wrapEnv(env), clock);
      if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(ctx, batch);
      else await consume(ctx, batch);
    },
    /** Renewal and retention (publish/cron.ts); R2 calls are counted into the run's record. */
    async scheduled(controller: ScheduledController, env: Env) {
      const r2: Record<string, number> = {};
      const counted = wrapEnv(env);
      const ctx = await consumerContext({ ...counted, METADATA: countR2Calls(counted.METADATA, r2) }, clock);
      await runCron(ctx, controller.cron, r2);
    },
  } satisfies ExportedHandler<Env, QueueMessage>;
}

export default createWorker();
