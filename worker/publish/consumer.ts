import { MAX_STORAGE_OPS_PER_COMMIT, uploadCost } from "../../shared/budget.js";
import type { FieldError } from "../../shared/errors.js";
import { provenanceFileOf } from "../../shared/simple/index.js";
import { checkTargetPath } from "../../shared/upload.js";
import type { QueueMessage, R2EventMessage } from "../storage/messages.js";
import { PackageStore } from "../storage/packages.js";
import { clearPending } from "../storage/pending.js";
import { loadState } from "../storage/repository.js";
import { type UploadRecord, type UploadStore, r2UploadId } from "../storage/uploads.js";
import { bucketProvenance } from "./dists.js";
import type { JobContext } from "./jobs.js";
import { StepAhead, failJobStep, runJobStep } from "./jobs.js";
import { BIN_CONCURRENCY, mapBounded } from "./bounded.js";
import { publishProjectChanges } from "./projects.js";
import { type SourcedUpload, type UploadContext, publishUploads } from "./uploads.js";

/**
 * How many single-invocation budgets one sharded commit may hold: 64 shards each make about
 * 4 × 7,500 / 64 ≈ 470 storage calls of it, and the consumer's own calls stay in the hundreds.
 */
const SHARDED_COMMIT_FACTOR = 4;

/** Uploads with at most this many entries (a webhook request's limit) record each target's result. */
const MAX_RESULTS = 2000;

export interface ConsumerContext extends JobContext, UploadContext {
  readonly uploads: UploadStore;
}

const log = (event: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ event, ...fields }));

const CREATED = new Set(["PutObject", "CopyObject", "CompleteMultipartUpload"]);

/** An R2 object-created notification becomes an upload of that object under its key. */
async function uploadFromEvent(ctx: ConsumerContext, event: R2EventMessage): Promise<UploadRecord | null> {
  if (!CREATED.has(event.action)) {
    log("r2-event-ignored", { action: event.action, key: event.object.key, why: "removal is explicit (POST /v1/uploads with remove)" });
    return null;
  }
  const key = event.object.key;
  const id = await r2UploadId(key, event.object.eTag ?? "");
  // At-least-once delivery: an event already decided is recognised, not applied again.
  const known = await ctx.uploads.get(id);
  if (known && known.state !== "queued") return known;
  // A queued record is the dev PUT's placeholder (it answers the id before the event arrives).
  const base = { id, received: known?.received ?? event.eventTime, request: { targets: [], remove: [] } };
  try {
    checkTargetPath(key, "object.key");
  } catch (e) {
    return { ...base, state: "rejected", rejected: [{ path: key, reason: (e as FieldError).message }] };
  }
  if (ctx.pagesMode === "render" && provenanceFileOf(key)) {
    const target = await bucketProvenance(ctx, key);
    if (typeof target === "string" || !target) return { ...base, state: "rejected", rejected: [{ path: key, reason: target ?? "object no longer exists" }] };
    return { ...base, state: "queued", request: { targets: [target], remove: [] } };
  }
  const hashed = await new PackageStore(ctx.packages).hash(key);
  if (!hashed) return { ...base, state: "rejected", rejected: [{ path: key, reason: "object no longer exists" }] };
  return { ...base, state: "queued", request: { targets: [{ path: key, length: hashed.length, hashes: { sha256: hashed.sha256 } }], remove: [] } };
}

/**
 * The writer's delivery of a batch: job steps, then uploads in one commit. The sequencer's alarm runs
 * it on its inbox (sequencer.ts); with WRITER="consumer" the queue consumer runs it (max_concurrency 1).
 */
export async function consume(ctx: ConsumerContext, batch: MessageBatch<QueueMessage>): Promise<void> {
  const pending: { message: Message<QueueMessage>; record: UploadRecord }[] = [];
  // Project changes carry signed roles of up to 5 MB: a commit takes them up to a byte budget, and
  // the rest wait for the next one, before any record is read (memory stays bounded).
  const messages = await withinProjectBudget(ctx, batch.messages);
  // The upload records (and R2 notifications hashed), all at once: one at a time, a batch of 100
  // spent 100 round trips here before anything was decided.
  const records = new Map(
    await mapBounded(messages.filter((m) => m.body.kind !== "job"), BIN_CONCURRENCY, async (m) => {
      const body = m.body as Exclude<QueueMessage, { kind: "job" }>;
      return [m, body.kind === "upload" || body.kind === "project" ? await ctx.uploads.get(body.id) : await uploadFromEvent(ctx, body)] as const;
    }),
  );
  for (const message of messages) {
    const body = message.body;
    if (body.kind === "job") {
      try {
        await runJobStep(ctx, body);
        message.ack();
      } catch (e) {
        if (e instanceof StepAhead) {
          message.retry({ delaySeconds: 1 });
          continue;
        }
        log("job-step-failed", { job: body.job, step: body.step, error: (e as Error).message });
        message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
      }
      continue;
    }
    const record = records.get(message);
    if (record?.state === "rejected" && body.kind === undefined) await ctx.uploads.put(record);
    // Already decided, nothing to publish, or a second copy of a message in this batch (at-least-once
    // delivery): the first copy decides it, and its record is written once.
    if (!record || record.state !== "queued" || pending.some((p) => p.record.id === record.id)) {
      message.ack();
      continue;
    }
    pending.push({ message, record });
  }
  if (pending.length === 0) return;
  const state = await loadState(ctx.store);
  if (!state) {
    for (const { message } of pending) message.retry({ delaySeconds: 5 });
    log("uploads-waiting", { count: pending.length, why: "no repository is published yet" });
    return;
  }
  const projects = pending.filter((p) => p.record.project);
  if (projects.length) {
    await publishProjects(ctx, projects);
    pending.splice(0, pending.length, ...pending.filter((p) => !p.record.project));
    if (pending.length === 0) return;
  }

  // Bounded work (invariant 9): what does not fit this commit waits for the next batch. The bins an
  // import touches are counted by its endpoint (a read and a write each, no pages); a release's
  // storage operations by uploadCost, its pages included. With shards, those operations are spread
  // over their invocations (the consumer itself makes a few hundred), so a commit may hold more.
  const budget = MAX_STORAGE_OPS_PER_COMMIT * (ctx.bins ? SHARDED_COMMIT_FACTOR : 1);
  const chosen: typeof pending = [];
  const deferred: typeof pending = [];
  let touched = 0;
  for (const p of pending) {
    const { request, bins } = p.record;
    const cost = bins !== undefined ? 2 * bins : uploadCost(request, ctx.pagesMode === "render");
    if (chosen.length > 0 && touched + cost > budget) {
      deferred.push(p);
      continue;
    }
    touched += cost;
    chosen.push(p);
  }
  // Waiting for room in a commit is not a failure: queue those again (a duplicate is harmless,
  // invariant 5) rather than retry them, which would count toward the dead-letter queue.
  if (deferred.length) {
    await ctx.enqueueAll(deferred.map(({ message }) => message.body));
    deferred.forEach(({ message }) => message.ack());
  }

  const uploads: SourcedUpload[] = chosen.map(({ record }) => ({
    id: record.id,
    ...record.request,
    atomic: record.atomic !== false,
    source: record.id.startsWith("r2-") ? "bucket" : record.atomic === false ? "import" : "webhook",
  }));
  try {
    const { results, committed } = await publishUploads(ctx, uploads);
    const now = new Date(ctx.clock()).toISOString();
    await Promise.all(
      chosen.map(({ record }) => {
        const r = results.get(record.id)!;
        const rejected = r.rejected;
        // Per-target results for a webhook-sized upload; a bulk import chunk (tens of thousands of
        // targets) keeps only its rejections, or every status poll would carry megabytes.
        const perTarget = r.targets.length <= MAX_RESULTS ? { results: r.targets } : {};
        if (rejected.length) log("upload-rejected", { id: record.id, state: r.state, rejected: rejected.slice(0, 20), count: rejected.length });
        if (r.state === "rejected") return ctx.uploads.put({ ...record, state: "rejected", rejected, ...perTarget });
        return ctx.uploads.put({
          ...record,
          state: "published",
          snapshotVersion: r.snapshotVersion,
          published: now,
          ...perTarget,
          ...(rejected.length && { rejected }),
        });
      }),
    );
    await clearPending(ctx.uploads.bucket, chosen.map(({ record }) => record));
    chosen.forEach(({ message }) => message.ack());
    if (committed) {
      log("commit", { timestamp: committed.timestampVersion, snapshot: committed.snapshotVersion, bins: committed.bins.size, uploads: chosen.length });
    }
  } catch (e) {
    const error = (e as Error).message;
    log("commit-failed", { error, uploads: chosen.length });
    await Promise.allSettled(chosen.map(({ record }) => ctx.uploads.put({ ...record, lastError: error })));
    chosen.forEach(({ message }) => message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) }));
  }
}

/** Signed project roles one commit reads at most (a push is at most 5,000,000 bytes). */
export const PROJECT_BYTES_PER_COMMIT = 16 * 1024 * 1024;

/** The batch with its project changes cut to the byte budget; the others are queued again (not retried: waiting is no failure). */
export async function withinProjectBudget(ctx: Pick<ConsumerContext, "enqueueAll">, messages: readonly Message<QueueMessage>[]) {
  let bytes = 0;
  const later: Message<QueueMessage>[] = [];
  const kept = messages.filter((m) => {
    if (m.body.kind !== "project") return true;
    bytes += m.body.bytes;
    if (bytes <= PROJECT_BYTES_PER_COMMIT || bytes === m.body.bytes) return true;
    later.push(m);
    return false;
  });
  if (later.length) {
    await ctx.enqueueAll(later.map((m) => m.body));
    later.forEach((m) => m.ack());
  }
  return kept;
}

/** Claims and pushed project roles: one commit of their own (publish/projects.ts), each record then published or rejected with its reason. */
async function publishProjects(ctx: ConsumerContext, chosen: { message: Message<QueueMessage>; record: UploadRecord }[]) {
  try {
    const { results, committed } = await publishProjectChanges(ctx, chosen.map(({ record }) => ({ id: record.id, change: record.project! })));
    const now = new Date(ctx.clock()).toISOString();
    await Promise.all(chosen.map(({ record }) => {
      const r = results.get(record.id)!;
      const path = record.project!.kind === "claim" ? "claim" : record.project!.role;
      if (!r.ok) return ctx.uploads.put({ ...record, state: "rejected", rejected: [{ path, reason: r.reason }] });
      return ctx.uploads.put({ ...record, state: "published", published: now, snapshotVersion: committed?.snapshotVersion ?? 0 });
    }));
    await clearPending(ctx.uploads.bucket, chosen.map(({ record }) => record));
    chosen.forEach(({ message }) => message.ack());
    if (committed) log("commit", { timestamp: committed.timestampVersion, snapshot: committed.snapshotVersion, projects: chosen.length });
  } catch (e) {
    const error = (e as Error).message;
    log("commit-failed", { error, projects: chosen.length });
    await Promise.allSettled(chosen.map(({ record }) => ctx.uploads.put({ ...record, lastError: error })));
    chosen.forEach(({ message }) => message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) }));
  }
}

/**
 * The dead-letter queue: uploads that never succeeded are recorded as rejected, with the last error;
 * a job step that never succeeded fails its job (status raises it; the next admin job may start).
 */
export async function consumeDeadLetters(ctx: ConsumerContext, batch: MessageBatch<QueueMessage>): Promise<void> {
  for (const message of batch.messages) {
    const body = message.body;
    if (body.kind === "upload" || body.kind === "project") {
      const record = await ctx.uploads.get(body.id);
      if (record?.state === "queued") {
        const reason = `gave up after ${message.attempts} attempts: ${record.lastError ?? "unknown error"}`;
        const paths = record.project ? [record.project.kind === "claim" ? "claim" : record.project.role] : record.request.targets.map((t) => t.path);
        await ctx.uploads.put({ ...record, state: "rejected", rejected: paths.map((path) => ({ path, reason })) });
        await clearPending(ctx.uploads.bucket, [record]);
        log("upload-dead-lettered", { id: body.id, reason });
      }
    } else if (body.kind === "job") {
      const failed = await failJobStep(ctx, body);
      if (failed) console.error(JSON.stringify({ event: "job-failed", job: failed.id, kind: failed.kind, error: failed.error }));
    } else {
      log("dead-letter", { message: body });
    }
    message.ack();
  }
}
