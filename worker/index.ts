import { Hono } from "hono";
import { systemClock, type Clock } from "../shared/time.js";
import type { AppEnv, Env } from "./env.js";
import { adminRoutes } from "./http/admin.js";
import { onError } from "./http/errors.js";
import { projectRoutes } from "./http/projects.js";
import { readRoutes } from "./http/read.js";
import { statusRoutes } from "./http/status.js";
import { uploadRoutes } from "./http/uploads.js";
import { createBinShard } from "./publish/bin-shards.js";
import { consume, consumeDeadLetters } from "./publish/consumer.js";
import { writerContext } from "./publish/context.js";
import { countR2Calls, runCron } from "./publish/cron.js";
import { createSequencer } from "./publish/sequencer.js";
import { forwardToSequencer, sequencerOn } from "./storage/inbox.js";
import type { QueueMessage } from "./storage/messages.js";

export interface WorkerOptions {
  clock?: Clock;
  /** Test entries wrap bindings (to inject R2 faults); production passes env through. */
  wrapEnv?: (env: Env) => Env;
}

const DEAD_LETTER_QUEUE = "tuf-edge-uploads-dlq";

/** fetch validates and enqueues; queue feeds the single writer (the sequencer); scheduled renews (README, "How it works"). */
export function createWorker({ clock = systemClock, wrapEnv = (env) => env }: WorkerOptions = {}) {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("now", clock());
    await next();
  });
  app.route("/", uploadRoutes);
  app.route("/", adminRoutes);
  app.route("/", projectRoutes);
  app.route("/", statusRoutes);
  app.route("/", readRoutes);
  app.notFound((c) => c.json({ error: "not found" }, 404));
  app.onError(onError);

  return {
    fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, wrapEnv(env), ctx),
    async queue(batch: MessageBatch<QueueMessage>, env: Env) {
      const wrapped = wrapEnv(env);
      // With the sequencer the queue is only the inbox: the batch moves into it (or is retried whole).
      if (batch.queue !== DEAD_LETTER_QUEUE && sequencerOn(wrapped)) {
        await forwardToSequencer(wrapped, batch.messages.map((m) => m.body));
        return batch.ackAll();
      }
      const ctx = await writerContext(wrapped, clock);
      if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(ctx, batch);
      else await consume(ctx, batch);
    },
    /** Renewal and retention (publish/cron.ts); R2 calls are counted into the run's record. */
    async scheduled(controller: ScheduledController, env: Env) {
      const r2: Record<string, number> = {};
      const counted = wrapEnv(env);
      const ctx = await writerContext({ ...counted, METADATA: countR2Calls(counted.METADATA, r2) }, clock);
      await runCron(ctx, controller.cron, r2);
    },
  } satisfies ExportedHandler<Env, QueueMessage>;
}

export default createWorker();

/** The writer's Durable Objects, declared in wrangler.toml: its bin shards and its sequencer. */
export const BinShard = createBinShard();
export const Sequencer = createSequencer();
