import type { Json } from "../../shared/json.js";
import { waitForWriteSlot } from "./write-slot.js";

/**
 * The one admin job that may be under way (bootstrap, or publishing offline-signed metadata),
 * stored at `state/job.json`. The consumer runs it in steps, one queue message each.
 */
export interface Job {
  readonly id: string;
  readonly kind: "bootstrap" | "publish";
  readonly started: string;
  /** Steps done so far, of `steps`. */
  readonly done: number;
  readonly steps: number;
  /** When the job ended: done, failed or aborted (then `error` says why). A new job may start. */
  readonly finished?: string;
  readonly error?: string;
  /** The last time the job moved (started, a step done, resumed): the cron resumes a job that stops moving. */
  readonly updated?: string;
  /** Why the current step failed last; kept for the dead-letter record. */
  readonly lastError?: string;
  /** Offline-signed envelopes to publish, as submitted (verified before they were stored). */
  readonly root?: Json;
  readonly targets?: Json;
  /** PEP 480's offline roles submitted with (or without) targets, by name: claimed, its parts, unclaimed. */
  readonly roles?: Readonly<Record<string, Json>>;
  /** Publish: re-sign every bin first (the online key set changed). */
  readonly resign?: boolean;
  /** Bins created or re-signed per step, fixed when the job starts (absent: BINS_PER_STEP). */
  readonly binsPerStep?: number;
}

/**
 * Bins created or re-signed per step when the writer does its bin work itself: about 2 R2
 * operations each, well inside one invocation's limits, and a second or two of work (locally,
 * Miniflare's queue sometimes lost the next step's message after a run of five seconds or more).
 */
export const BINS_PER_STEP = 512;
/**
 * With the writer's shards (WRITER_SHARDS > 0) a step's bins spread over them (32 each of 2,048 at
 * 64 shards), and a step's own floor is the one write a second to this job's record: fewer, larger
 * steps (9 instead of 33 at 16,384 bins; README, "The production model").
 */
export const SHARDED_BINS_PER_STEP = 2048;

/** Steps of a job that works through all 2^bits bins, `perStep` at a time (the request that starts it states them). */
export const binSteps = (bits: number, perStep: number) => Math.ceil(2 ** bits / perStep);

export interface StoredJob {
  readonly job: Job;
  readonly etag: string;
  /** When it was written (R2's clock): the next write waits for its slot. */
  readonly uploaded: Date;
}

const KEY = "state/job.json";

export class JobStore {
  /** `clock`: the caller's now, to time a write one second after the last (storage/write-slot.ts). */
  constructor(
    readonly bucket: R2Bucket,
    private readonly clock: () => number = Date.now,
  ) {}

  async get(): Promise<StoredJob | null> {
    const object = await this.bucket.get(KEY);
    return object ? { job: (await object.json()) as Job, etag: object.etag, uploaded: object.uploaded } : null;
  }

  /** Starts `job` unless one is under way; false if one is (409 for the caller). */
  async start(job: Job): Promise<boolean> {
    const current = await this.get();
    if (current && !current.job.finished) return false;
    // The job before may have ended a moment ago (its last step, an abort).
    if (current) await waitForWriteSlot(current.uploaded, this.clock());
    const onlyIf = current ? { etagMatches: current.etag } : { etagDoesNotMatch: "*" };
    return (await this.bucket.put(KEY, JSON.stringify(job), { onlyIf })) !== null;
  }

  /**
   * Replaces the job read as `from` (compare-and-swap on its etag): false when it changed since —
   * aborted, failed, or moved on by another run — and then nothing is written.
   */
  async update(from: StoredJob, job: Job): Promise<boolean> {
    // A job moves several times a second when its steps are short (the request that starts it, its
    // first step, a failure and its retry): R2 would refuse the second write within a second.
    await waitForWriteSlot(from.uploaded, this.clock());
    return (await this.bucket.put(KEY, JSON.stringify(job), { onlyIf: { etagMatches: from.etag } })) !== null;
  }

  /**
   * Ends the job that is under way with `error` (failed or aborted), so that admin work can go on.
   * `id`: only that job. Returns the ended job, or null when none (or not that one) is under way.
   */
  async end(error: string, at: string, id?: string): Promise<Job | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get();
      if (!current || current.job.finished || (id !== undefined && current.job.id !== id)) return null;
      const ended: Job = { ...current.job, finished: at, updated: at, error };
      if (await this.update(current, ended)) return ended;
    }
    throw new Error("the admin job kept changing while it was being ended; try again");
  }
}
