import type { RejectionSummary, UploadStore } from "../storage/uploads.js";

/** A rejection is warned about until acknowledged (POST /v1/admin/uploads/acknowledge) or this old. */
export const REJECTION_WARNING_AGE = 86_400_000;
/** Rejections GET /v1/status shows (the full list: GET /v1/uploads?state=rejected). */
const RECENT = 10;

export interface RejectionFacts {
  readonly recent: readonly RejectionSummary[];
  /** Rejections recorded after the last acknowledgement and within REJECTION_WARNING_AGE, of the recent ones. */
  readonly unacknowledged: number;
  readonly acknowledgedUntil: string | null;
}

export async function rejectionFacts(uploads: UploadStore, now: number): Promise<RejectionFacts> {
  const [{ rejections }, acknowledgedUntil] = await Promise.all([uploads.rejections(RECENT), uploads.acknowledged()]);
  const since = Math.max(now - REJECTION_WARNING_AGE, acknowledgedUntil ? Date.parse(acknowledgedUntil) : 0);
  const unacknowledged = rejections.filter((r) => Date.parse(r.rejectedAt) > since).length;
  return { recent: rejections, unacknowledged, acknowledgedUntil };
}

/** The status warning for rejections nobody has acknowledged yet. */
export function rejectionWarning(f: RejectionFacts) {
  if (f.unacknowledged === 0) return null;
  const latest = f.recent.find((r) => r.count > 0)!;
  const more = f.unacknowledged >= RECENT ? `${RECENT} or more uploads were` : f.unacknowledged === 1 ? "an upload was" : `${f.unacknowledged} uploads were`;
  return {
    level: "warning" as const,
    kind: "rejected-uploads",
    message:
      `${more} rejected; latest ${latest.id}: ${latest.path}: ${latest.reason}. ` +
      "See GET /v1/uploads?state=rejected; acknowledge with POST /v1/admin/uploads/acknowledge",
  };
}
