import type { CatchUp } from "../../shared/renewal.js";
import { type CronRun, type CronState, type RenewalReport, type SweepReport, readCronState, writeCronState } from "../storage/cron-state.js";
import { ContentStore } from "../storage/content.js";
import { sweepPending } from "../storage/pending.js";
import { ReplayGuard } from "../storage/replays.js";
import type { UploadStore } from "../storage/uploads.js";
import type { PublishContext } from "./commit.js";
import { type JobContext, resumeStalledJob } from "./jobs.js";
import { renew } from "./renew.js";
import { sweep } from "./retention.js";

/**
 * One cron run (README, "Renewal and retention"): renew, then retention, then record what happened in
 * the cron state (storage/cron-state.ts) for GET /v1/status. Each part is logged as one JSON line; a
 * failing part does not stop the next one, and the run then fails as a whole (Cloudflare shows it;
 * it is not retried).
 */

export interface CronContext extends PublishContext, Pick<JobContext, "jobs" | "enqueue" | "cacheDrainSeconds"> {
  readonly uploads: UploadStore;
}

const log = (event: string, fields: Record<string, unknown>) => console.log(JSON.stringify({ event, ...fields }));

/**
 * The interval of the usual cron shapes ("*\/5 * * * *", "0 * * * *", "0 *\/6 * * *", "30 2 * * *");
 * null for anything else (status then assumes an hour).
 */
export function cronIntervalSeconds(expression: string): number | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 || fields.slice(2).some((f) => f !== "*")) return null;
  const [minute, hour] = fields as [string, string];
  const every = (f: string) => (f === "*" ? 1 : /^\*\/([1-9]\d*)$/.exec(f)?.[1]);
  const fixed = /^\d{1,2}$/.test(minute);
  if (hour === "*") {
    const m = every(minute);
    if (m !== undefined) return Number(m) * 60;
    return fixed ? 3600 : null;
  }
  const h = every(hour);
  if (fixed && h !== undefined) return Number(h) * 3600;
  return fixed && /^\d{1,2}$/.test(hour) ? 86400 : null;
}

function nextCatchUp(previous: CatchUp | undefined, renewal: RenewalReport | null): CatchUp | undefined {
  if (!renewal) return previous;
  let catchUp = previous;
  if (renewal.catchUp) catchUp = { from: Math.min(previous?.from ?? Infinity, renewal.catchUp.from), until: renewal.catchUp.until };
  return catchUp && renewal.cursor.to < catchUp.until ? catchUp : undefined;
}

const failure = (e: unknown) => ({ error: (e as Error).message });

/** One run; null when nothing is published yet. */
export async function runCron(ctx: CronContext, cron: string, r2Counts: Readonly<Record<string, number>> = {}): Promise<CronState | null> {
  const started = ctx.clock();
  const bucket = ctx.store.bucket;
  const previous = await readCronState(bucket).catch(() => null);
  let failed = false;
  // An admin job whose step message was lost moves on again (a bootstrap too: so before the check below).
  try {
    const resumed = await resumeStalledJob(ctx);
    if (resumed) log("job-resumed", resumed);
  } catch (e) {
    log("job-resume-failed", failure(e));
  }
  // Before bootstrap there is nothing to renew or sweep: not a failure.
  if (!(await ctx.store.exists("timestamp.json"))) {
    log("cron", { cron, idle: "no repository is published yet" });
    return null;
  }

  let renewal: RenewalReport | null = null;
  try {
    renewal = await renew(ctx, started);
    if (renewal.timestampVersion !== null) log("renewal", { ...renewal });
  } catch (e) {
    failed = true;
    log("renewal-failed", failure(e));
  }

  let retention: SweepReport | null = null;
  try {
    retention = await sweep(ctx.store, ctx.config, ctx.clock(), previous?.orphanCursor ?? "");
    log("retention", { ...retention });
  } catch (e) {
    failed = true;
    log("retention-failed", failure(e));
  }

  let staged: { cursor: string; deleted: number } | undefined;
  try {
    staged = await new ContentStore(bucket).sweepStaged(ctx.clock(), previous?.stagedCursor ?? "");
    if (staged.deleted) log("staged-content-deleted", { ...staged });
  } catch (e) {
    log("staged-sweep-failed", failure(e));
  }

  let pendingMarkersCleared: number | undefined;
  try {
    pendingMarkersCleared = (await sweepPending(bucket, ctx.uploads)).cleared;
  } catch (e) {
    log("pending-sweep-failed", failure(e));
  }

  let uploadRecords: CronRun["uploadRecords"];
  try {
    uploadRecords = await ctx.uploads.sweep(new Date(ctx.clock() - ctx.config.uploadRetention).toISOString());
    if (uploadRecords.deleted) log("upload-records-deleted", { ...uploadRecords });
  } catch (e) {
    log("upload-records-sweep-failed", failure(e));
  }

  try {
    const deleted = await new ReplayGuard(bucket).sweep(ctx.clock());
    if (deleted) log("replay-markers-deleted", { deleted });
  } catch (e) {
    log("replay-sweep-failed", failure(e));
  }

  const binsCatchUp = nextCatchUp(previous?.binsCatchUp, renewal);
  const lastRun: CronRun = {
    cron,
    started: new Date(started).toISOString(),
    durationMs: ctx.clock() - started,
    renewal: renewal ?? { error: "failed (see the renewal-failed log line)" },
    retention: retention ?? { error: "failed (see the retention-failed log line)" },
    ...(pendingMarkersCleared !== undefined ? { pendingMarkersCleared } : {}),
    ...(staged ? { stagedContentDeleted: staged.deleted } : {}),
    ...(uploadRecords ? { uploadRecords } : {}),
    r2: { ...r2Counts },
  };
  const state: CronState = {
    lastRun,
    intervalSeconds: cronIntervalSeconds(cron),
    orphanCursor: retention?.orphans.cursor ?? previous?.orphanCursor ?? "",
    stagedCursor: staged?.cursor ?? previous?.stagedCursor ?? "",
    ...(binsCatchUp ? { binsCatchUp } : {}),
  };
  try {
    await writeCronState(bucket, state, ctx.clock());
  } catch (e) {
    log("cron-state-failed", failure(e));
  }
  log("cron", { cron, durationMs: lastRun.durationMs, r2: lastRun.r2, failed });
  if (failed) throw new Error("cron run failed (see the log lines before this one)");
  return state;
}

const R2_METHODS = new Set(["head", "get", "put", "delete", "list", "createMultipartUpload", "resumeMultipartUpload"]);

/** The bucket, counting its calls into `counts` by method: what a run costs, measured rather than estimated. */
export function countR2Calls(bucket: R2Bucket, counts: Record<string, number>): R2Bucket {
  return new Proxy(bucket, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      if (typeof prop !== "string" || !R2_METHODS.has(prop)) return value.bind(target);
      return (...args: unknown[]) => {
        counts[prop] = (counts[prop] ?? 0) + 1;
        return value.apply(target, args);
      };
    },
  });
}
