/**
 * The key ids the writer signs with, as it last recorded them, at `state/online-keys.json`. Public
 * data: GET /v1/status shows them without the seed, which only the writer holds (invariant 10). The
 * writer records them when its signer set differs from this record (worker/publish/signers.ts).
 */
const KEY = "state/online-keys.json";

export interface OnlineKeys {
  readonly keyids: readonly string[];
  /** When the writer recorded them (ISO). */
  readonly recorded: string;
}

export async function readOnlineKeys(bucket: R2Bucket): Promise<OnlineKeys | null> {
  const object = await bucket.get(KEY);
  return object ? ((await object.json()) as OnlineKeys) : null;
}

export async function writeOnlineKeys(bucket: R2Bucket, keys: OnlineKeys): Promise<void> {
  await bucket.put(KEY, JSON.stringify(keys), { httpMetadata: { contentType: "application/json" } });
}
