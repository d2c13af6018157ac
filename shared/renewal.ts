import { binName } from "./bins.js";

/**
 * The bins' rolling renewal schedule, as pure arithmetic: the writer renews by it
 * (worker/publish/renew.ts) and status reports by it.
 *
 * With period P = BINS_EXPIRY / 2 and n bins, the position pos(t) = floor(t / P * n) is a counter
 * that only grows, and counter c stands for bin c mod n. Each cron run re-signs the bins from the
 * stored cursor up to pos(now). So every bin is re-signed once per P, spread evenly over time, and
 * expires 2P after: the cron may stop for up to P before any bin expires.
 */

export const renewalPeriod = (config: { readonly binsExpiry: number }): number => config.binsExpiry / 2;

/** pos(t): how many bin renewals have fallen due since the epoch. */
export const duePosition = (now: number, period: number, bins: number): number => Math.floor((now / period) * bins);

/** When counter `position` falls due: bin renewals happen no earlier than this. */
export const dueTime = (position: number, period: number, bins: number): number => (position / bins) * period;

/** The bin counter `position` stands for. */
export function binAt(position: number, bins: { readonly bitLength: number; readonly namePrefix: string }): string {
  const n = 2 ** bins.bitLength;
  return binName(((position % n) + n) % n, bins.bitLength, bins.namePrefix);
}

/** A catch-up under way: the cursor before the jump, and the position the jump renews up to. */
export interface CatchUp {
  readonly from: number;
  readonly until: number;
}

/**
 * A lower bound of when the least recently signed bin was signed. The bin at the cursor is the next
 * due; it was last renewed one round (n counters) earlier, and renewals never happen before they
 * are due. While a catch-up is unfinished, bins it has not reached date from before the jump.
 */
export function oldestBinSignature(cursor: number, bins: number, period: number, catchUp?: CatchUp): number {
  const from = catchUp && cursor < catchUp.until ? Math.min(catchUp.from, cursor) : cursor;
  return dueTime(from - bins, period, bins);
}
