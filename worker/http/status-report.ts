import type { CommitSummary } from "../storage/commits.js";
import type { CronState } from "../storage/cron-state.js";
import type { SequencerStatus } from "../storage/inbox.js";
import type { Job } from "../storage/jobs.js";
import type { RejectionFacts } from "./status-uploads.js";

/** What GET /v1/status answers (contract.md): the facts status.ts collects and status-page.ts shows. */

export interface RoleExpiry {
  readonly version: number;
  readonly expires: string;
  readonly expiresInSeconds: number;
}

export interface BinsStatus {
  readonly count: number;
  readonly bitLength: number;
  readonly namePrefix: string;
  readonly versions: { readonly min: number; readonly max: number };
  readonly renewCursor: number;
  readonly renewalPeriodSeconds: number;
  /** Renewals due and not done yet (a few until the next run; more means the cron is behind). */
  readonly behind: number;
  readonly catchingUp: boolean;
  /**
   * The bin signed longest ago: the next one the schedule renews (at the cursor), as its file says.
   * While a catch-up runs, the schedule's bound instead. No bin expires before `expires`.
   */
  readonly oldestSignedAfter: string;
  readonly expires: string;
  readonly expiresInSeconds: number;
}

export interface Warning {
  readonly level: "critical" | "warning";
  readonly kind: string;
  readonly message: string;
  /** The role it is about, if one. */
  readonly role?: string;
}

export interface Status {
  readonly published: boolean;
  readonly now: string;
  readonly roles?: {
    readonly root: RoleExpiry | { readonly version: number };
    readonly timestamp: RoleExpiry;
    readonly snapshot: RoleExpiry;
    readonly targets: RoleExpiry;
    readonly bins: BinsStatus;
    /** PEP 480's roles, in that layout: how many claims, and each role's version and expiry. */
    readonly projects?: {
      readonly claims: number;
      readonly recentClaims: number;
      readonly claimed?: RoleExpiry & { readonly parts: number; readonly partsExpire?: string };
      readonly recentlyClaimed?: RoleExpiry;
      readonly unclaimed?: RoleExpiry;
    };
  };
  readonly earliestExpiry?: { readonly role: string; readonly expires: string; readonly expiresInSeconds: number };
  readonly lastCommit?: { readonly timestampVersion: number; readonly at: string; readonly reason?: string };
  readonly recentCommits?: readonly CommitSummary[];
  readonly lastCron: (CronState["lastRun"] & { readonly ageSeconds: number }) | null;
  readonly cronIntervalSeconds: number;
  readonly oldestPendingUpload: { readonly id: string; readonly received: string; readonly ageSeconds: number } | null;
  readonly warnings: readonly Warning[];
  readonly job: Omit<Job, "root" | "targets" | "roles"> | null;
  /** Projects with a published page, from the list behind /simple/ (storage/projects.ts); null while the writer has not recorded it. */
  readonly projects: number | null;
  /** The key ids the writer signs with, as it last recorded them (storage/online-keys.ts); empty until it first ran. */
  readonly onlineKeys: readonly string[];
  /** What the renewal schedule keeps: `tuf-edge verify --min-valid auto` derives its margins from it. */
  readonly renewal: {
    readonly timestampRenewMarginSeconds: number;
    readonly snapshotRenewMarginSeconds: number;
    readonly binsExpirySeconds: number;
    readonly binsRenewalPeriodSeconds: number;
  };
  /**
   * The writer (issue 20): the sequencer (its inbox, its last and current commit, its next alarm) or
   * the queue consumer; the shard objects it fans bin work out to. `sequencer` is null when it did
   * not answer, and absent when the consumer writes.
   */
  readonly writer: { readonly kind: "sequencer" | "consumer"; readonly shards: number; readonly sequencer?: SequencerStatus | null };
  /** Recent rejections (newest first) and how many are not acknowledged yet. */
  readonly rejections: RejectionFacts;
}
