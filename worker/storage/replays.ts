import { WEBHOOK_TOLERANCE_SECONDS } from "../../shared/webhook.js";

/**
 * Signed webhook requests already accepted, by their signature (security review, finding 1). The
 * HMAC covers the timestamp and the body, so the signature is the request's nonce: a captured
 * request replayed inside the 300 s window is recognised and refused, with the id it was given.
 * A marker is created if absent, so two copies racing each other cannot both be accepted.
 */
const PREFIX = "state/webhook-seen/";

export class ReplayGuard {
  constructor(readonly bucket: R2Bucket) {}

  /** Claims `signature` for upload `id`; the id that claimed it first when it was seen already. */
  async claim(signature: string, id: string, received: string): Promise<string | null> {
    const key = `${PREFIX}${signature.toLowerCase()}`;
    const put = await this.bucket.put(key, "", { onlyIf: { etagDoesNotMatch: "*" }, customMetadata: { id, received } });
    if (put) return null;
    return (await this.bucket.head(key))?.customMetadata?.id ?? "unknown";
  }

  /** Lets go of a claim whose upload was not accepted after all (the queue refused it). */
  async release(signature: string): Promise<void> {
    await this.bucket.delete(`${PREFIX}${signature.toLowerCase()}`);
  }

  /** Deletes markers older than the window (a replay that old is refused for its timestamp). At most `limit` a run. */
  async sweep(now: number, limit = 1000): Promise<number> {
    const listed = await this.bucket.list({ prefix: PREFIX, limit });
    const old = listed.objects.filter((o) => o.uploaded.getTime() < now - 2 * WEBHOOK_TOLERANCE_SECONDS * 1000).map((o) => o.key);
    if (old.length) await this.bucket.delete(old);
    return old.length;
  }
}
