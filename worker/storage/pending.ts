import type { UploadStore } from "./uploads.js";

/**
 * Markers of webhook uploads not decided yet: `pending/<received ISO>-<id>`, an empty object created
 * when the webhook accepts an upload and deleted when the consumer decides it. ISO times sort as
 * strings, so the first key under `pending/` is the oldest undecided upload: status finds it with
 * one short list call instead of listing every upload record.
 */
const PREFIX = "pending/";

export interface PendingUpload {
  readonly id: string;
  readonly received: string;
}

const markerKey = (u: PendingUpload) => `${PREFIX}${u.received}-${u.id}`;

/**
 * The marker's two parts, split where the time ends: an ISO time (toISOString) ends in its one `Z`,
 * and has dashes of its own, as an id may (`r2-…`). Anything else is not a marker this module wrote.
 */
const MARKER = /^([+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z)-(.+)$/;

export function parseMarker(key: string): PendingUpload | null {
  const m = key.startsWith(PREFIX) ? MARKER.exec(key.slice(PREFIX.length)) : null;
  return m ? { received: m[1]!, id: m[2]! } : null;
}

export async function markPending(bucket: R2Bucket, upload: PendingUpload): Promise<void> {
  await bucket.put(markerKey(upload), "");
}

/** Never throws: a marker left behind is cleared by the cron (sweepPending). */
export async function clearPending(bucket: R2Bucket, uploads: readonly PendingUpload[]): Promise<void> {
  if (uploads.length === 0) return;
  try {
    await bucket.delete(uploads.map(markerKey));
  } catch (e) {
    console.log(JSON.stringify({ event: "pending-clear-failed", uploads: uploads.length, error: (e as Error).message }));
  }
}

/**
 * Walks the markers oldest first: a marker whose upload is decided (its deletion failed) is stale.
 * Returns the oldest upload still queued, and the stale markers seen before it.
 */
async function walk(bucket: R2Bucket, uploads: UploadStore, limit: number) {
  const listed = await bucket.list({ prefix: PREFIX, limit });
  const stale: string[] = [];
  for (const object of listed.objects) {
    const marker = parseMarker(object.key);
    const record = marker && (await uploads.get(marker.id));
    if (marker && record?.state === "queued") return { oldest: marker, stale };
    stale.push(object.key);
  }
  return { oldest: null, stale };
}

/** The oldest upload the webhook accepted that is not published or rejected yet (a few reads at most). */
export async function oldestPending(bucket: R2Bucket, uploads: UploadStore, limit = 5): Promise<PendingUpload | null> {
  return (await walk(bucket, uploads, limit)).oldest;
}

/** Cron: deletes stale markers at the head of the list, so they cannot hide the oldest real one. */
export async function sweepPending(bucket: R2Bucket, uploads: UploadStore, limit = 20): Promise<{ cleared: number }> {
  const { stale } = await walk(bucket, uploads, limit);
  if (stale.length) await bucket.delete(stale);
  return { cleared: stale.length };
}
