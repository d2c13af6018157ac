import { CliError } from "./errors.js";
import type { Fetch } from "./http-transport.js";

/** What GET /v1/status says about the renewal schedule (contract.md, "Status"). */
export interface RenewalSchedule {
  readonly cronIntervalSeconds: number;
  readonly renewal: {
    readonly timestampRenewMarginSeconds: number;
    readonly snapshotRenewMarginSeconds: number;
    readonly binsExpirySeconds: number;
    readonly binsRenewalPeriodSeconds: number;
  };
}

/** The status page warns this long before an offline role expires; so does the monitor. */
export const OFFLINE_MARGIN_MS = 30 * 86_400_000;

/**
 * The least time each role keeps in a healthy repository, less one cron interval of slack: so
 * a monitor alerts when renewal has stopped working, never in steady state.
 *
 * - timestamp / snapshot are re-signed at the first run after they come within their margin M:
 *   they never have less than M − interval left.
 * - a bin is re-signed once per period P, at the first run after it falls due, and lives E: it
 *   never has less than E − P − interval left.
 */
export function healthyMargins(s: RenewalSchedule): Record<string, number> {
  const interval = s.cronIntervalSeconds * 1000;
  const r = s.renewal;
  const slack = (ms: number) => Math.max(0, ms - 2 * interval);
  return {
    timestamp: slack(r.timestampRenewMarginSeconds * 1000),
    snapshot: slack(r.snapshotRenewMarginSeconds * 1000),
    bins: slack((r.binsExpirySeconds - r.binsRenewalPeriodSeconds) * 1000),
    root: OFFLINE_MARGIN_MS,
    targets: OFFLINE_MARGIN_MS,
    // PEP 480's layout: offline roles renewed at ceremonies (claimed's parts by their prefix, below),
    // and recently-claimed, which the cron re-signs once half of BINS_EXPIRY has passed.
    claimed: OFFLINE_MARGIN_MS,
    unclaimed: OFFLINE_MARGIN_MS,
    "recently-claimed": slack((r.binsExpirySeconds / 2) * 1000),
  };
}

export async function fetchSchedule(url: string, transport: Fetch = fetch): Promise<RenewalSchedule> {
  let body: Partial<RenewalSchedule> | null = null;
  try {
    const response = await transport(`${url}/v1/status`, { signal: AbortSignal.timeout(60_000) });
    if (response.ok) body = (await response.json()) as Partial<RenewalSchedule>;
  } catch {
    // reported below
  }
  if (!body?.renewal || typeof body.cronIntervalSeconds !== "number") {
    throw new CliError(`--min-valid auto reads the renewal schedule from ${url}/v1/status, which did not give it; pass a duration instead`);
  }
  return body as RenewalSchedule;
}
