import type { CommitSummary } from "../storage/commits.js";
import type { UploadStore } from "../storage/uploads.js";
import type { Status } from "./status-report.js";

/** What the status page charts: the last hour, minute by minute, and where the bins' expiries lie. */
export interface Charts {
  /** 60 values, oldest minute first. */
  readonly commitsPerMinute: readonly number[];
  readonly targetsPerMinute: readonly number[];
  /** Upload latency (received → published) over the last hour, ms; null without uploads. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly uploads: number } | null;
  /** Bins by hours left until they expire (index i: i to i+1 hours), from the renewal schedule. */
  readonly binExpiryHours: readonly number[];
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

function perMinute(times: Iterable<[number, number]>, now: number): number[] {
  const buckets = new Array<number>(60).fill(0);
  for (const [at, weight] of times) {
    const age = Math.floor((now - at) / MINUTE);
    if (age >= 0 && age < 60) buckets[59 - age]! += weight;
  }
  return buckets;
}

export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/**
 * Hours left per bin. Counter c of the last round [cursor − n, cursor) renewed its bin no earlier
 * than it fell due, so that bin expires no earlier than due(c) + lifetime; and no bin expires before
 * the oldest one's real expiry (a fresh repository's bins were all signed at bootstrap).
 */
export function binExpiryHistogram(s: Status, now: number): number[] {
  const b = s.roles!.bins;
  const n = b.count;
  const period = b.renewalPeriodSeconds * 1000;
  const lifetime = s.renewal.binsExpirySeconds * 1000;
  const floor = Date.parse(b.expires);
  const hours = new Array<number>(Math.max(1, Math.ceil(lifetime / HOUR))).fill(0);
  for (let c = b.renewCursor - n; c < b.renewCursor; c++) {
    const expires = Math.max(floor, (c / n) * period + lifetime);
    const i = Math.min(hours.length - 1, Math.max(0, Math.floor((expires - now) / HOUR)));
    hours[i]!++;
  }
  return hours;
}

export async function collectCharts(uploads: UploadStore, commits: readonly CommitSummary[], now: number, s: Status): Promise<Charts> {
  const published = (await uploads.recentlyPublished()).filter((u) => now - Date.parse(u.published) < HOUR);
  const latencies = published.map((u) => Date.parse(u.published) - Date.parse(u.received)).sort((a, b) => a - b);
  return {
    commitsPerMinute: perMinute(commits.map((c) => [Date.parse(c.committedAt), 1]), now),
    targetsPerMinute: perMinute(published.map((u) => [Date.parse(u.published), u.targets]), now),
    latency: latencies.length ? { p50: percentile(latencies, 50), p99: percentile(latencies, 99), uploads: latencies.length } : null,
    binExpiryHours: binExpiryHistogram(s, now),
  };
}
