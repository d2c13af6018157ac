import type { Json } from "../../shared/json.js";

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
  readonly finished?: string;
  readonly error?: string;
  /** Offline-signed envelopes to publish, as submitted (verified before they were stored). */
  readonly root?: Json;
  readonly targets?: Json;
  /** Publish: re-sign every bin first (the online key set changed). */
  readonly resign?: boolean;
}

const KEY = "state/job.json";

export class JobStore {
  constructor(readonly bucket: R2Bucket) {}

  async get(): Promise<{ job: Job; etag: string } | null> {
    const object = await this.bucket.get(KEY);
    return object ? { job: (await object.json()) as Job, etag: object.etag } : null;
  }

  /** Starts `job` unless one is under way; false if one is (409 for the caller). */
  async start(job: Job): Promise<boolean> {
    const current = await this.get();
    if (current && !current.job.finished) return false;
    const onlyIf = current ? { etagMatches: current.etag } : { etagDoesNotMatch: "*" };
    return (await this.bucket.put(KEY, JSON.stringify(job), { onlyIf })) !== null;
  }

  async update(job: Job): Promise<void> {
    await this.bucket.put(KEY, JSON.stringify(job));
  }
}
