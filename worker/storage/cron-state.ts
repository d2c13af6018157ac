import type { CatchUp } from "../../shared/renewal.js";
import { waitForWriteSlot } from "./write-slot.js";

/**
 * What the last cron run did, at `state/cron.json`: written by the cron (worker/publish/cron.ts),
 * read by GET /v1/status, and by the next run for where the orphan sweep and a bin catch-up go on.
 */

/** What renewal did in one run (worker/publish/renew.ts). */
export interface RenewalReport {
  /** Null when nothing needed renewing (no commit). */
  readonly timestampVersion: number | null;
  readonly snapshotVersion: number | null;
  readonly bins: number;
  readonly cursor: { readonly from: number; readonly to: number };
  /** Renewals due but left for later runs (the per-run bound). */
  readonly behind: number;
  readonly renewedTimestamp: boolean;
  readonly renewedSnapshot: boolean;
  readonly catchUp?: CatchUp;
}

/** What retention did in one run (worker/publish/retention.ts). */
export interface SweepReport {
  /** Records whose files were deleted, and the files deleted for them. */
  readonly records: number;
  readonly deleted: number;
  /** Files a record named that were current after all (kept). */
  readonly kept: number;
  /** More records are due than one run may handle. */
  readonly backlog: boolean;
  readonly orphans: { readonly scanned: number; readonly deleted: number; readonly cursor: string; readonly skipped?: string };
}

export interface CronRun {
  readonly cron: string;
  readonly started: string;
  readonly durationMs: number;
  readonly renewal: RenewalReport | { readonly error: string };
  readonly retention: SweepReport | { readonly error: string };
  readonly pendingMarkersCleared?: number;
  /** Staged content (PUT /v1/content) that no commit published within a day, deleted this run. */
  readonly stagedContentDeleted?: number;
  /** Upload records past UPLOAD_RETENTION_SECONDS deleted this run (at most 250; `more` when others wait). */
  readonly uploadRecords?: { readonly deleted: number; readonly more: boolean };
  /** R2 calls this run made, by method (each is a subrequest, and billed). */
  readonly r2: Readonly<Record<string, number>>;
}

export interface CronState {
  readonly lastRun: CronRun;
  /** Seconds between runs, read from the cron expression; null when it is not a simple one. */
  readonly intervalSeconds: number | null;
  /** Where the orphan sweep continues: the last metadata file name it saw. */
  readonly orphanCursor: string;
  /** Where the sweep of staged content continues (an R2 list cursor). */
  readonly stagedCursor?: string;
  /** A bin catch-up that has not finished (see oldestBinSignature in shared/renewal.ts). */
  readonly binsCatchUp?: CatchUp;
}

const KEY = "state/cron.json";

export async function readCronState(bucket: R2Bucket): Promise<CronState | null> {
  const object = await bucket.get(KEY);
  return object ? ((await object.json()) as CronState) : null;
}

/**
 * `now`: the caller's clock. Two runs within a second (a run triggered by hand right after the
 * scheduled one) would be two writes of one key within a second, which R2 refuses: the second waits.
 */
export async function writeCronState(bucket: R2Bucket, state: CronState, now?: number): Promise<void> {
  const last = (await bucket.head(KEY))?.uploaded;
  if (last) await waitForWriteSlot(last, now);
  await bucket.put(KEY, JSON.stringify(state), { httpMetadata: { contentType: "application/json" } });
}
