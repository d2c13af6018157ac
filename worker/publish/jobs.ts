import { allBinNames } from "../../shared/bins.js";
import { FieldError } from "../../shared/errors.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Targets } from "../../shared/metadata/targets.js";
import { type OnlineDelegations, binsOf, checkOnlineKeys } from "../../shared/offline.js";
import { RECENTLY_CLAIMED, UNCLAIMED, isProjectLayout } from "../../shared/projects/layout.js";
import { duePosition, renewalPeriod } from "../../shared/renewal.js";
import { BINS_PER_STEP, type Job, type JobStore } from "../storage/jobs.js";
import type { JobMessage, QueueMessage } from "../storage/messages.js";
import { loadState, notesToCustom, readRoot, trustedRootVersion } from "../storage/repository.js";
import { afterCeremony } from "./claims.js";
import { type PublishContext, commit, signFile } from "./commit.js";
import { buildSnapshot, buildTimestamp, snapshotMetaOf } from "./plan.js";

export interface JobContext extends PublishContext {
  readonly jobs: JobStore;
  /** Queues the next step, optionally after a delay (seconds). */
  readonly enqueue: (message: JobMessage, delaySeconds?: number) => Promise<void>;
  /** Queues messages again (uploads that did not fit this commit). */
  readonly enqueueAll: (messages: QueueMessage[]) => Promise<void>;
  /** How long a cached timestamp.json may still be served: TIMESTAMP_MAX_AGE plus a margin. */
  readonly cacheDrainSeconds: number;
}

const binSlice = (bits: number, prefix: string, step: number, job: Job) => {
  const per = job.binsPerStep ?? BINS_PER_STEP;
  return allBinNames(bits, prefix).slice(step * per, (step + 1) * per);
};

function parsedOffline(job: Job) {
  const root = job.root === undefined ? undefined : Metadata.fromJSON(job.root, "root");
  const targets = job.targets === undefined ? undefined : Metadata.fromJSON(job.targets, "targets");
  const roles = new Map(Object.entries(job.roles ?? {}).map(([name, json]) => [name, Metadata.fromJSON(json, "targets")] as const));
  return { root, targets, roles };
}

/** The delegated roles the writer will sign once the job is done: in the submitted targets (and unclaimed), or as published. */
function onlineAfter(job: Job, state: { bins: OnlineDelegations["bins"]; recentlyClaimed?: OnlineDelegations["recentlyClaimed"] } | null): OnlineDelegations {
  const { targets, roles } = parsedOffline(job);
  if (!targets) return { bins: roles.get(UNCLAIMED)?.signed.delegations?.succinctRoles ?? state!.bins, recentlyClaimed: state!.recentlyClaimed };
  if (!isProjectLayout(targets.signed)) return { bins: binsOf(targets.signed) };
  const recentlyClaimed = targets.signed.delegations!.roles!.find((r) => r.name === RECENTLY_CLAIMED);
  return { bins: roles.get(UNCLAIMED)?.signed.delegations?.succinctRoles ?? state!.bins, recentlyClaimed };
}

/**
 * Before the first timestamp nothing is published: a file under metadata/ can only be the leftover of
 * an earlier bootstrap that failed or was aborted (other keys, other expiries). The first step clears
 * them, so that create-if-absent never keeps one.
 */
async function clearUnpublished(ctx: JobContext) {
  if (await ctx.store.exists("timestamp.json")) throw new Error("a repository is published already; this bootstrap cannot run");
  for (;;) {
    const { files } = await ctx.store.list("", 1000);
    if (files.length === 0) return;
    await ctx.store.delete(files.map((f) => f.name));
  }
}

/**
 * Invariant 7, the half that needs the online keys: what a job publishes must name, for each online
 * role, keys this writer holds (checkOnlineKeys). Checked before its first step writes anything; a
 * job that fails it ends at once with the reason, which GET /v1/status shows.
 */
async function checkSignable(ctx: JobContext, job: Job): Promise<void> {
  const { root, targets, roles } = parsedOffline(job);
  if (!root && !targets && !roles.size) return;
  const state = root && targets && job.kind === "bootstrap" ? null : await loadState(ctx.store);
  const trusted = root ?? (await readRoot(ctx.store, await trustedRootVersion(ctx.store, state!.notes.rootVersion)));
  checkOnlineKeys(trusted.signed, onlineAfter(job, state), ctx.signers.map((s) => s.key.keyid));
}

/** Bootstrap step: create version 1 of a slice of bins (nothing refers to them until the last step). */
async function createBins(ctx: JobContext, job: Job, bits: number, prefix: string, step: number) {
  if (step === 0) await clearUnpublished(ctx);
  const now = ctx.clock();
  if (ctx.bins?.createFirst) return ctx.bins.createFirst(binSlice(bits, prefix, step, job), now + ctx.config.binsExpiry);
  const empty = new Targets({ version: 1, expires: now + ctx.config.binsExpiry });
  const bytes = await Promise.all(binSlice(bits, prefix, step, job).map(async (name) => [name, await signFile(empty, ctx.signers)] as const));
  // An existing file is this bootstrap's own, from a delivery that did not finish.
  for (let i = 0; i < bytes.length; i += 32) {
    await Promise.all(bytes.slice(i, i + 32).map(([name, b]) => ctx.store.create(`1.${name}.json`, b)));
  }
}

/** Last bootstrap step: root, targets, snapshot v1 over every bin, then timestamp v1 — the commit. */
async function publishFirstVersion(ctx: JobContext, job: Job) {
  const { root, targets } = parsedOffline(job);
  const bins = binsOf(targets!.signed);
  await ctx.store.create("1.root.json", root!.toBytes());
  await ctx.store.create(`${targets!.signed.version}.targets.json`, targets!.toBytes());
  const now = ctx.clock();
  const roles: [string, number][] = [["targets", targets!.signed.version]];
  for (const name of allBinNames(bins.bitLength, bins.namePrefix)) roles.push([name, 1]);
  const snapshotBytes = await signFile(buildSnapshot(null, { version: 1, expires: now + ctx.config.snapshotExpiry, roles }), ctx.signers);
  await ctx.store.create("1.snapshot.json", snapshotBytes);
  const timestamp = buildTimestamp(null, {
    version: 1,
    expires: now + ctx.config.timestampExpiry,
    snapshotMeta: snapshotMetaOf(1, snapshotBytes),
  });
  const renewCursor = duePosition(now, renewalPeriod(ctx.config), bins.numberOfBins);
  if (!(await ctx.store.swapTimestamp(await signFile(timestamp, ctx.signers), null, notesToCustom({ rootVersion: 1, renewCursor })))) {
    // Published already: by this job (a re-run after a crash) is done; by another, this one failed.
    const stored = await ctx.store.read("1.root.json");
    const ours = root!.toBytes();
    if (!stored || stored.bytes.length !== ours.length || !stored.bytes.every((b, i) => b === ours[i])) {
      throw new Error("another bootstrap published a repository first");
    }
  }
}

/** Re-signs a slice of bins in one commit, with every online key the Worker holds. */
async function resignBins(ctx: JobContext, job: Job, step: number) {
  await commit(ctx, async (state) => {
    const names = binSlice(state.bins.bitLength, state.bins.namePrefix, step, job);
    return { plan: { bins: new Map(names.map((n) => [n, []])) }, decision: null };
  });
}

/**
 * Publish's last step: the new targets and PEP 480 roles (if any) in one commit, then the new root
 * version. In PEP 480's layout the commit re-signs recently-claimed with the writer's keys (created
 * at the move; new keys at a rotation), without the claims the new parts of claimed now hold.
 */
async function publishOffline(ctx: JobContext, job: Job) {
  const { root, targets, roles: submitted } = parsedOffline(job);
  // The root file first (create-if-absent, so a re-run skips it): the notes never name a root that
  // is not stored (second review, finding 7), and a job stopped here leaves the file the trusted one.
  if (root) await ctx.store.create(`${root.signed.version}.root.json`, root.toBytes());
  await commit(ctx, async (state) => {
    const published = (name: string) => state.snapshot.signed.meta.get(`${name}.json`)?.version ?? 0;
    const offline = [...(targets ? [["targets", targets] as const] : []), ...submitted];
    // A re-run after a crash finds them published: only newer versions are written.
    const roles = new Map(offline.filter(([name, m]) => m.signed.version > published(name)).map(([name, m]) => [name, { version: m.signed.version, bytes: m.toBytes() }]));
    const layout = isProjectLayout((targets ?? state.targets).signed);
    const moved = new Set([...roles.keys()].filter((n) => n.startsWith("claimed-")).flatMap((n) => submitted.get(n)!.signed.delegations?.roles?.map((r) => r.name) ?? []));
    const recent = layout ? await afterCeremony(ctx.store, state, moved, ctx.clock() + ctx.config.binsExpiry) : null;
    const plan = {
      bins: new Map(),
      roles,
      ...(recent ? { online: new Map([[RECENTLY_CLAIMED, recent]]) } : {}),
      notes: root ? { rootVersion: Math.max(state.notes.rootVersion, root.signed.version) } : undefined,
      renewSnapshot: true,
    };
    return { plan, decision: null };
  });
}

const log = (event: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ event, ...fields }));

/**
 * Runs one step of the current job and queues the next. A message for another job, for a job that
 * ended, or for a step already done (re-delivery), changes nothing. The next step is queued before
 * the job records progress: a crash in between re-runs this step (every step is idempotent), and
 * never leaves a job with no message to move it on.
 */
/** A step delivered before its predecessor recorded its progress: to be delivered again shortly. */
export class StepAhead extends Error {}

export async function runJobStep(ctx: JobContext, message: JobMessage): Promise<void> {
  const current = await ctx.jobs.get();
  const job = current?.job;
  if (!current || !job || job.id !== message.job || job.finished || message.step < job.done) return; // stale or repeated
  // The next step is queued before this one records its progress, so it can arrive first: try again
  // shortly rather than drop it (dropped, the job would wait for the cron to resume it).
  if (message.step > job.done) throw new StepAhead(`step ${message.step + 1} arrived before step ${job.done + 1} recorded its progress`);
  const last = message.step === job.steps - 1;
  if (message.step === 0) {
    try {
      await checkSignable(ctx, job);
    } catch (e) {
      if (!(e instanceof FieldError)) throw e;
      const ended = await ctx.jobs.end(`refused: ${e.message}`, new Date(ctx.clock()).toISOString(), job.id);
      if (ended) console.error(JSON.stringify({ event: "job-failed", job: job.id, kind: job.kind, error: ended.error }));
      return;
    }
  }
  try {
    if (job.kind === "bootstrap") {
      const bins = binsOf(parsedOffline(job).targets!.signed);
      if (last) await publishFirstVersion(ctx, job);
      else await createBins(ctx, job, bins.bitLength, bins.namePrefix, message.step);
    } else if (last) {
      await publishOffline(ctx, job);
    } else {
      await resignBins(ctx, job, message.step);
    }
  } catch (e) {
    // Kept for the dead-letter queue, which marks the job failed with it once retries run out.
    await ctx.jobs.update(current, { ...job, lastError: (e as Error).message }).catch(() => false);
    throw e;
  }
  const done = job.done + 1;
  const at = new Date(ctx.clock()).toISOString();
  const { lastError: _, ...rest } = job;
  const moved = await ctx.jobs.update(current, { ...rest, done, updated: at, ...(last ? { finished: at } : {}) });
  // Ended meanwhile (aborted): no next step.
  if (!moved) {
    log("job-changed", { job: job.id, step: message.step, why: "the job was ended or moved on while this step ran" });
    return;
  }
  // Progress first, then the next step: queued the other way round, a step could arrive before the
  // progress it needs (it would wait, see StepAhead). A crash between the two leaves a job that does
  // not move, which the cron queues again (resumeStalledJob).
  if (!last) {
    // Before a new root with other online keys appears, every timestamp a cache may still serve must
    // carry the new key's signature too (all online files are dual-signed by now).
    const delay = job.kind === "publish" && done === job.steps - 1 && job.resign && job.root !== undefined ? ctx.cacheDrainSeconds : 0;
    await ctx.enqueue({ kind: "job", job: job.id, step: done }, delay);
  }
}

/**
 * The dead-letter queue gave up on a step: the job fails with the step's last error, so that status
 * raises it and the next admin job can start (instead of 409 for ever).
 */
export async function failJobStep(ctx: JobContext, message: JobMessage): Promise<Job | null> {
  const current = await ctx.jobs.get();
  const job = current?.job;
  if (!job || job.id !== message.job || job.finished || job.done !== message.step) return null;
  // (A dead letter's own attempts count its deliveries to the dead-letter queue, not the retries.)
  const error = `step ${message.step + 1} of ${job.steps} failed every retry (dead-lettered): ${job.lastError ?? "unknown error"}`;
  return ctx.jobs.end(error, new Date(ctx.clock()).toISOString(), job.id);
}

/** A job that has not moved for this long has lost its message (or is failing): the cron queues its step again. */
export const stallAfterMs = (ctx: Pick<JobContext, "cacheDrainSeconds">) => Math.max(10 * 60_000, 2 * ctx.cacheDrainSeconds * 1000 + 5 * 60_000);

/**
 * Run by the cron: queues the current step of a job that has made no progress for stallAfterMs. A
 * duplicate of a step that is still queued is harmless: whichever runs second finds it done.
 */
export async function resumeStalledJob(ctx: Pick<JobContext, "jobs" | "enqueue" | "cacheDrainSeconds" | "clock">): Promise<{ job: string; step: number } | null> {
  const current = await ctx.jobs.get();
  const job = current?.job;
  if (!current || !job || job.finished) return null;
  const now = ctx.clock();
  if (now - Date.parse(job.updated ?? job.started) < stallAfterMs(ctx)) return null;
  // Record the resumption first (compare-and-swap): two cron runs never both resume it.
  if (!(await ctx.jobs.update(current, { ...job, updated: new Date(now).toISOString() }))) return null;
  await ctx.enqueue({ kind: "job", job: job.id, step: job.done });
  return { job: job.id, step: job.done };
}
