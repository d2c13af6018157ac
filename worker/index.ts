import { Hono } from "hono";
import type { AppEnv, Env } from "./env.js";
import type { QueueMessage } from "./publish/messages.js";
import { readRoutes } from "./http/read.js";

const app = new Hono<AppEnv>();

app.route("/", readRoutes);

app.notFound((c) => c.json({ error: "not found" }, 404));
app.onError((err, c) => {
  console.error(JSON.stringify({ event: "error", message: err.message }));
  return c.json({ error: "internal error" }, 500);
});

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch<QueueMessage>, _env: Env) {
    batch.retryAll();
    throw new Error("the queue consumer is not built yet");
  },
  async scheduled() {
    throw new Error("renewal is not built yet");
  },
} satisfies ExportedHandler<Env, QueueMessage>;
