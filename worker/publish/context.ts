import type { Clock } from "../../shared/time.js";
import { type Env, readConfig } from "../env.js";
import { ContentStore } from "../storage/content.js";
import { JobStore } from "../storage/jobs.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { UploadStore } from "../storage/uploads.js";
import { waitForWriteSlot } from "../storage/write-slot.js";
import type { ConsumerContext } from "./consumer.js";
import { shardedBins } from "./bin-shards.js";
import { onlineSigners, recordSigners } from "./signers.js";

/**
 * R2 accepts one write per second per key: the timestamp commit waits for its slot (with a margin
 * for the skew between R2's clock and ours, storage/write-slot.ts). "Now" is the Worker's clock,
 * like every other time (a test that moves the clock ahead does not wait).
 */
const waitForSlot = (lastWrite: Date, clock: Clock) => waitForWriteSlot(lastWrite, clock());

/** The writer's context, for the queue consumer and the cron: the only place the online keys are loaded (invariant 10). */
export async function writerContext(env: Env, clock: Clock): Promise<ConsumerContext> {
  const config = readConfig(env);
  const store = new MetadataStore(env.METADATA);
  const signers = await onlineSigners(env);
  await recordSigners(env.METADATA, signers, clock);
  return {
    store,
    signers,
    config,
    clock,
    waitForSlot: (lastWrite) => waitForSlot(lastWrite, clock),
    ...(config.writerShards > 0 && env.BIN_SHARDS && { bins: shardedBins(env.BIN_SHARDS, config.writerShards) }),
    jobs: new JobStore(env.METADATA, clock),
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
