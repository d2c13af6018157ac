import { binAt, duePosition, renewalPeriod } from "../../shared/renewal.js";
import { RECENTLY_CLAIMED } from "../../shared/projects/layout.js";
import { publishedRole } from "../storage/claims.js";
import type { RenewalReport } from "../storage/cron-state.js";
import type { RepoState } from "../storage/repository.js";
import { recentlyClaimedRole } from "./claims.js";
import { type BinEdit, type PublishContext, commit } from "./commit.js";

/**
 * Renewal by the cron, through the single writer's commit() like any publish (invariant 4). Bins
 * follow the rolling schedule of shared/renewal.ts: each run re-signs the bins from the stored
 * cursor (TimestampNotes.renewCursor) up to pos(now), instead of reading each bin's expiry.
 */

/** Bins re-signed in one run at most: about two R2 operations each, well inside one invocation. */
export const MAX_RENEW_PER_RUN = 2048;

/** No changes: the bin is re-signed with the same targets. */
const renewal: BinEdit = [];

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

/** recently-claimed (PEP 480's layout), re-signed as it is once half its validity (BINS_EXPIRY) has passed; null when not due. */
async function renewRecentlyClaimed(ctx: PublishContext, state: RepoState, now: number) {
  if (!state.recentlyClaimed) return null;
  const head = await publishedRole(ctx.store, state, RECENTLY_CLAIMED);
  if (head && head.expires - now >= ctx.config.binsExpiry / 2) return null;
  return new Map([[RECENTLY_CLAIMED, recentlyClaimedRole(head?.delegations?.roles ?? [], head?.delegations?.keys ?? {}, now + ctx.config.binsExpiry)]]);
}

/** One cron renewal: the bins due, recently-claimed, and timestamp / snapshot when within their margin, in one commit. */
export async function renew(ctx: PublishContext, now: number): Promise<RenewalReport> {
  const outcome = await commit(ctx, async (state) => {
    const n = state.bins.numberOfBins;
    const cursor = state.notes.renewCursor;
    const window = renewalWindow(cursor, now, renewalPeriod(ctx.config), n);
    const bins = new Map<string, BinEdit>();
    for (let c = window.start; c < window.end; c++) bins.set(binAt(c, state.bins), renewal);
    const renewTimestamp = state.timestamp.signed.expires - now < ctx.config.timestampRenewMargin;
    const renewSnapshot = state.snapshot.signed.expires - now < ctx.config.snapshotRenewMargin;
    const online = await renewRecentlyClaimed(ctx, state, now);
    const plan = {
      bins,
      ...(online ? { online } : {}),
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
    renewedSnapshot: committed !== null && committed.snapshotVersion !== outcome.state.timestamp.signed.snapshotMeta.version,
    ...(committed && decision.catchUp ? { catchUp: decision.catchUp } : {}),
  };
}
