// Artifacts in the PACKAGES bucket (contract.md): an object-created notification is published as a
// target whose length and sha256 the consumer computes from the stored bytes (invariant 8). In local
// development PUT /v1/admin/files/{path} stores the bytes and sends that notification.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { R2EventMessage } from "../../worker/storage/messages.js";
import { bootstrap } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { binEntry, bucketSnapshot, deliverNow, inboxDrained, r2UploadId, sha256Hex, timestampBytes, waitForOutcome } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 4;
const encodePath = (path: string) => path.split("/").map(encodeURIComponent).join("/");

const event = (action: string, key: string, claims: { size?: number; eTag?: string } = {}): R2EventMessage => ({
  account: "local",
  action,
  bucket: "tuf-edge-packages",
  object: { key, ...claims },
  eventTime: new Date().toISOString(),
});

describe("R2 notifications on the packages bucket", () => {
  let w: TestWorker;
  let rootBytes: Uint8Array;
  const clients: TufClient[] = [];
  const client = () => {
    const c = new TufClient(w.url, rootBytes);
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    w = await startWorker({ vars: { SIMPLE_PAGES: "index" } }); // plain targets: no pages rendered
    rootBytes = (await bootstrap(w, BITS)).rootBytes;
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await w.close();
  });

  const putFile = (rawPath: string, body: Uint8Array | string, token = w.secrets.ADMIN_TOKEN) =>
    fetch(`${w.url}/v1/admin/files/${rawPath}`, { method: "PUT", headers: token ? { authorization: `Bearer ${token}` } : {}, body });

  /** PUTs a file through the admin route and waits for the consumer's verdict on its notification. */
  async function putAndPublish(path: string, bytes: Uint8Array) {
    const res = await putFile(encodePath(path), bytes);
    expect(res.status).toBe(202);
    const stored = (await res.json()) as { key: string; size: number; etag: string };
    expect(stored).toMatchObject({ key: path, size: bytes.length });
    return waitForOutcome(w, r2UploadId(stored.key, stored.etag));
  }

  /** What must not move when an input is refused or ignored. */
  async function unchangedState() {
    return {
      timestamp: (await timestampBytes(w)).toString("base64"),
      metadata: await bucketSnapshot(await w.metadata()),
      packages: await bucketSnapshot(await w.packages()),
    };
  }

  test("PUT /v1/admin/files/<path> → published with the length and sha256 of the stored bytes; tuf-js verifies it", async () => {
    const path = "packages/9f/86/d081884c7d65/example-1.0-py3-none-any.whl";
    const bytes = randomBytes(3 * 1024 * 1024 + 17); // several chunks through the digest stream
    const outcome = await putAndPublish(path, bytes);
    expect(outcome).toMatchObject({ state: "published", snapshotVersion: 2 });
    const { file } = await binEntry(w, outcome.snapshotVersion, path, BITS);
    expect(file).toEqual({ length: bytes.length, hashes: { sha256: sha256Hex(bytes) } });
    const downloaded = await client().download(path);
    expect(downloaded.equals(bytes)).toBe(true);
  });

  test("a second PUT to a stored path is refused (409): package files are immutable", async () => {
    const path = "packages/immutable/example-3.0.tar.gz";
    const bytes = randomBytes(100);
    expect((await putAndPublish(path, bytes)).state).toBe("published");
    const again = await putFile(encodePath(path), randomBytes(100));
    expect(again.status).toBe(409);
    expect(((await again.json()) as { field: string }).field).toBe("path");
    expect((await client().download(path)).equals(bytes)).toBe(true);
  });

  test("the notification's own claims (size, eTag) are not trusted: the bytes in R2 are", async () => {
    const path = "packages/claims/example-2.0.tar.gz";
    const bytes = randomBytes(4096);
    await (await w.packages()).put(path, new Uint8Array(bytes)); // no notification from a direct put
    const producer = await w.mf.getQueueProducer<R2EventMessage>("UPLOADS");
    await producer.send(event("PutObject", path, { size: 1, eTag: "forged" }));
    const outcome = await waitForOutcome(w, r2UploadId(path, "forged"));
    expect(outcome.state).toBe("published");
    const { file } = await binEntry(w, outcome.snapshotVersion, path, BITS);
    expect(file).toEqual({ length: 4096, hashes: { sha256: sha256Hex(bytes) } });
    expect((await client().download(path)).equals(bytes)).toBe(true);
  });

  test("an empty file is published with length 0", async () => {
    const path = "packages/empty/placeholder.txt";
    const outcome = await putAndPublish(path, new Uint8Array());
    expect(outcome.state).toBe("published");
    expect((await binEntry(w, outcome.snapshotVersion, path, BITS)).file).toEqual({ length: 0, hashes: { sha256: sha256Hex(new Uint8Array()) } });
  });

  test.each([
    ["an empty key", ""],
    ["an empty segment", "packages//a.tar.gz"],
    ["a trailing slash", "packages/a/"],
    ["an encoded leading slash (absolute)", "%2Fpackages%2Fa.tar.gz"],
    ["an encoded .. segment", "packages%2F..%2F..%2Fmetadata%2Ftimestamp.json"],
    ["an encoded backslash", "packages%5Ca.tar.gz"],
    ["NUL", "packages/a%00.tar.gz"],
    ["U+0001", "packages/a%01.tar.gz"],
    ["DEL", "packages/a%7F.tar.gz"],
    ["C1 U+0085", "packages/a%C2%85.tar.gz"],
    ["a non-BMP character", "simple/%F0%9F%90%8D/index.html"],
    ["a lone surrogate (CESU-8 bytes)", "packages/a%ED%A0%80.tar.gz"],
    ["invalid percent-encoded UTF-8", "packages/a%FF.tar.gz"],
    ["1,025 bytes", "a".repeat(1025)],
  ])("PUT with a key that breaks the path rules (%s) → 400 naming path; nothing stored or queued", async (_, rawPath) => {
    const before = await unchangedState();
    const res = await putFile(rawPath, "bytes that must not be stored");
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; field: string };
    expect(answer).toMatchObject({ error: expect.any(String), field: "path" });
    expect(await unchangedState()).toEqual(before);
  });

  test("PUT without the bearer token → 401, nothing stored", async () => {
    const before = await unchangedState();
    expect((await putFile("packages/unauth/a.tar.gz", "x", "")).status).toBe(401);
    expect((await putFile("packages/unauth/a.tar.gz", "x", "ab".repeat(32))).status).toBe(401);
    expect(await unchangedState()).toEqual(before);
  });

  test("a DeleteObject notification changes nothing: removal is explicit", async () => {
    const path = "packages/deleted/example-3.0.tar.gz";
    const bytes = randomBytes(100);
    expect((await putAndPublish(path, bytes)).state).toBe("published");
    await (await w.packages()).delete(path);
    const before = await unchangedState();
    const { ids, result } = await deliverNow(w, [event("DeleteObject", path), event("LifecycleDeletion", path)]);
    expect(result.outcome).toBe("ok");
    expect(result.retryMessages).toEqual([]);
    expect(result.ackAll || ids.every((id) => result.explicitAcks.includes(id))).toBe(true);
    await inboxDrained(w);
    expect(await unchangedState()).toEqual(before);
    expect((await client().targetInfo(path))?.length).toBe(100);
  });

  test("a notification for a key that breaks the path rules, straight to the queue, is recorded as rejected", async () => {
    const key = "packages//smuggled.tar.gz";
    await (await w.packages()).put(key, "R2 itself accepts any key");
    const before = await unchangedState();
    const { result } = await deliverNow(w, [event("PutObject", key, { eTag: "e1" })]);
    expect(result.retryMessages).toEqual([]);
    const outcome = await waitForOutcome(w, r2UploadId(key, "e1"));
    expect(outcome.state).toBe("rejected");
    expect(outcome.rejected).toEqual([{ path: key, reason: expect.stringMatching(/segment/) }]);
    expect((await timestampBytes(w)).toString("base64")).toBe(before.timestamp);
  });

  test("a notification for an object that no longer exists is recorded as rejected", async () => {
    const key = "packages/vanished/example-4.0.tar.gz";
    const before = await timestampBytes(w);
    await deliverNow(w, [event("PutObject", key, { eTag: "e2" })]);
    const outcome = await waitForOutcome(w, r2UploadId(key, "e2"));
    expect(outcome).toMatchObject({ state: "rejected", rejected: [{ path: key, reason: expect.stringMatching(/no longer exists/) }] });
    expect((await timestampBytes(w)).equals(before)).toBe(true);
  });

  test("other bytes written at a published path (straight to R2) are rejected with a reason; the signed hashes stay, and a client refuses the new bytes", async () => {
    const path = "packages/immutable/example-5.0.tar.gz";
    const original = randomBytes(256);
    expect((await putAndPublish(path, original)).state).toBe("published");
    // The admin route refuses to overwrite (409); a direct R2 write and its notification can still happen.
    const stored = await (await w.packages()).put(path, new Uint8Array(randomBytes(256)));
    const producer = await w.mf.getQueueProducer<R2EventMessage>("UPLOADS");
    await producer.send(event("PutObject", path, { size: 256, eTag: stored!.etag }));
    const second = await waitForOutcome(w, r2UploadId(path, stored!.etag));
    expect(second).toMatchObject({ state: "rejected", rejected: [{ path, reason: expect.stringMatching(/already published/) }] });
    const current = JSON.parse((await timestampBytes(w)).toString()).signed.meta["snapshot.json"].version as number;
    const { file } = await binEntry(w, current, path, BITS);
    expect(file).toEqual({ length: 256, hashes: { sha256: sha256Hex(original) } });
    // The file host now holds other bytes: TUF keeps clients safe.
    await expect(client().download(path)).rejects.toThrow(new RegExp(`Expected hash ${sha256Hex(original)} but got`));
  });
});
