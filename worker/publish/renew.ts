import { binName } from "../../shared/bins.js";
import type { Config } from "../env.js";
import { type BinEdit, type PublishContext, commit } from "./commit.js";

/**
 * Renewal by the cron, through the single writer's commit() like any publish (invariant 4).
 *
 * Bins are renewed on a rolling schedule instead of by reading each bin's expiry: with period
 * P = BINS_EXPIRY / 2 and n bins, the position pos(t) = floor(t / P * n) is a counter that only grows,
 * and counter c stands for bin c mod n. Each run re-signs the bins from the stored cursor
 * (TimestampNotes.renewCursor) up to pos(now). So every bin is re-signed once per P, spread evenly
 * over time (no daily storm of n re-signs), and expires 2P after: the cron may stop for up to P
 * before any bin expires.
 */

/** Bins re-signed in one run at most: about two R2 operations each, well inside one invocation. */
export const MAX_RENEW_PER_RUN = 2048;

/** No changes: the bin is re-signed with the same targets. */
const renewal: BinEdit = [];

export const renewalPeriod = (config: Pick<Config, "binsExpiry">): number => config.binsExpiry / 2;

/** pos(t): how many bin renewals have fallen due since the epoch. */
export const duePosition = (now: number, period: number, bins: number): number => Math.floor((now / period) * bins);

/** When counter `position` falls due: bin renewals happen no earlier than this. */
export const dueTime = (position: number, period: number, bins: number): number => (position / bins) * period;

export interface RenewalWindow {
  /** Counters [start, end) are re-signed now; `end` is the new cursor. */
  readonly start: number;
  readonly end: number;
  readonly due: number;
  /** Set when the cursor was too far behind (or ahead) and jumped: every bin is renewed once, from `from`'s state. */
  readonly jumpedFrom?: number;
}

/**
 * The counters to renew, given the stored cursor. A cursor more than n behind means runs were missed
 * for longer than P: renewing each bin once is enough, so it jumps to pos - n (a catch-up spread over
 * runs by the per-run bound). A cursor more than n ahead means the clock went back by more than P:
 * renew every bin once from there too, rather than wait for time to catch up with it.
 */
export function renewalWindow(cursor: number, now: number, period: number, bins: number, max = MAX_RENEW_PER_RUN): RenewalWindow {
  const due = duePosition(now, period, bins);
  const jump = cursor < due - bins || cursor > due + bins;
  const start = jump ? due - bins : cursor;
  const end = Math.max(start, Math.min(due, start + max));
  return jump ? { start, end, due, jumpedFrom: cursor } : { start, end, due };
}

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

/** One cron renewal: the bins due, and timestamp / snapshot when within their margin, in one commit. */
export async function renew(ctx: PublishContext, now: number): Promise<RenewalReport> {
  const outcome = await commit(ctx, async (state) => {
    const n = state.bins.numberOfBins;
    const cursor = state.notes.renewCursor;
    const window = renewalWindow(cursor, now, renewalPeriod(ctx.config), n);
    const bins = new Map<string, BinEdit>();
    for (let c = window.start; c < window.end; c++) {
      bins.set(binName(((c % n) + n) % n, state.bins.bitLength, state.bins.namePrefix), renewal);
    }
    const renewTimestamp = state.timestamp.signed.expires - now < ctx.config.timestampRenewMargin;
    const renewSnapshot = state.snapshot.signed.expires - now < ctx.config.snapshotRenewMargin;
    const plan = {
      bins,
      renewTimestamp,
      renewSnapshot,
      reason: "renewal",
      ...(window.end !== cursor ? { notes: { renewCursor: window.end } } : {}),
    };
    const decision = {
      cursor: { from: cursor, to: window.end },
      behind: window.due - window.end,
      renewTimestamp,
      renewSnapshot,
      // Bins the jump skipped were last signed no later than the old cursor's round (or, if the clock went back, unknown: from the start).
      ...(window.jumpedFrom !== undefined ? { catchUp: { from: Math.min(window.jumpedFrom, window.start), until: window.due } } : {}),
    };
    return { plan, decision };
  });
  const { committed, decision } = outcome;
  return {
    timestampVersion: committed?.timestampVersion ?? null,
    snapshotVersion: committed ? committed.snapshotVersion : null,
    bins: committed?.bins.size ?? 0,
    cursor: committed ? decision.cursor : { from: decision.cursor.from, to: decision.cursor.from },
    behind: Math.max(0, decision.behind),
    renewedTimestamp: committed !== null,
    renewedSnapshot: committed !== null && (committed.bins.size > 0 || decision.renewSnapshot),
    ...(committed && decision.catchUp ? { catchUp: decision.catchUp } : {}),
  };
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
