import { createHash } from "node:crypto";
import http from "node:http";
import { binFor } from "../../shared/bins.js";
import type { QueueMessage, R2EventMessage } from "../../worker/storage/messages.js";
import { status, waitFor } from "./repo.js";
import type { TestWorker } from "./worker.js";

/** Helpers for the webhook and R2-notification tests: raw requests, bucket snapshots, outcomes. */

export const sha256Hex = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** POSTs `body` to /v1/uploads as given, with exactly these headers (no signing). */
export async function postRaw(w: TestWorker, body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(`${w.url}/v1/uploads`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, text: await res.text() };
}

/**
 * POSTs `total` bytes of `body` with Transfer-Encoding: chunked (no Content-Length), in 64 KiB
 * chunks, stopping when the answer arrives: a Worker that stops reading at the limit answers early.
 */
export function postChunked(w: TestWorker, body: Uint8Array, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(w.url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      { hostname, port, path: "/v1/uploads", method: "POST", agent: false, headers: { "content-type": "application/json", "transfer-encoding": "chunked", ...headers } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    // The server may close the connection after answering early; that is not a failure of the test.
    req.on("error", (e) => (answered ? undefined : reject(e)));
    const CHUNK = 64 * 1024;
    let at = 0;
    const pump = () => {
      while (!answered && at < body.length) {
        const chunk = body.subarray(at, at + CHUNK);
        at += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

/**
 * Sends the headers and the first 64 KiB of `body`, never the rest, and resolves with the answer: it
 * can only come from a Worker that answers without reading the body to its end. With a Content-Length
 * of the whole body unless `chunked`. POST /v1/uploads unless `to` names another route. (Sending all of a large body to a Worker that answered early can
 * end in a reset connection before the answer is read; this never does.)
 */
export function postUnfinished(
  w: TestWorker,
  body: Uint8Array,
  headers: Record<string, string>,
  chunked = false,
  to: { method: string; path: string } = { method: "POST", path: "/v1/uploads" },
): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(w.url);
  const framing = chunked ? { "transfer-encoding": "chunked" } : { "content-length": String(body.length) };
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, path: to.path, method: to.method, agent: false, headers: { "content-type": "application/json", ...framing, ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString("utf8") });
          req.destroy();
        });
      },
    );
    req.on("error", (e) => (req.destroyed ? undefined : reject(e)));
    req.write(body.subarray(0, 64 * 1024));
  });
}

/** Every object in a bucket with its etag: equal snapshots mean nothing was written or deleted. */
export async function bucketSnapshot(bucket: R2Bucket, prefix?: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    for (const o of page.objects) out[o.key] = o.etag;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return out;
}

export const timestampBytes = async (w: TestWorker) => Buffer.from(await (await fetch(`${w.url}/metadata/timestamp.json`)).arrayBuffer());

export const metadataJson = async (w: TestWorker, name: string) => {
  const res = await fetch(`${w.url}/metadata/${name}`);
  if (res.status !== 200) throw new Error(`${name}: ${res.status}`);
  return (await res.json()) as any;
};

/** GET /v1/uploads/{id}, polled until the upload is published or rejected (404 until it exists). */
export function waitForOutcome(w: TestWorker, id: string, timeoutMs = 60_000) {
  return waitFor(`upload ${id}`, async () => {
    const res = await fetch(`${w.url}/v1/uploads/${id}`);
    if (res.status === 404) return null;
    const r = (await res.json()) as any;
    return r.state === "published" || r.state === "rejected" ? r : null;
  }, timeoutMs);
}

/** The upload id the consumer gives an R2 notification (worker/publish/consumer.ts). */
export const r2UploadId = (key: string, eTag: string) => `r2-${sha256Hex(`${key}\n${eTag}`).slice(0, 32)}`;

/** The target, as the bin that holds it in snapshot `snapshotVersion` lists it; null when absent. */
export async function binEntry(w: TestWorker, snapshotVersion: number, path: string, bits: number) {
  const bin = binFor(path, bits);
  const snapshot = await metadataJson(w, `${snapshotVersion}.snapshot.json`);
  const version = snapshot.signed.meta[`${bin}.json`].version as number;
  const role = await metadataJson(w, `${version}.${bin}.json`);
  return { bin, version, file: (role.signed.targets[path] ?? null) as { length: number; hashes: Record<string, string> } | null };
}

let seq = 0;

/** Runs the queue consumer on these messages now, as the queue would deliver them; returns its verdict. */
export async function deliverNow(w: TestWorker, bodies: QueueMessage[]) {
  const worker = (await w.mf.getWorker()) as unknown as {
    queue(queue: string, messages: { id: string; timestamp: Date; attempts: number; body: unknown }[]): Promise<{
      outcome: string;
      ackAll: boolean;
      retryBatch: { retry: boolean };
      explicitAcks: string[];
      retryMessages: { msgId: string }[];
    }>;
  };
  const messages = bodies.map((body) => ({ id: `webhook-test-${++seq}`, timestamp: new Date(), attempts: 1, body }));
  return { ids: messages.map((m) => m.id), result: await worker.queue("tuf-edge-uploads", messages) };
}

let storedSeq = 0;
/** Stores `bytes` in the packages bucket at `path` and returns the notification R2 would send for it. */
export async function storedInBucket(w: TestWorker, path: string, bytes: Uint8Array): Promise<R2EventMessage> {
  const object = await (await w.packages()).put(path, bytes);
  return { account: "a", action: "PutObject", bucket: "tuf-edge-packages", object: { key: path, size: bytes.length, eTag: object!.etag }, eventTime: new Date(Date.now() + ++storedSeq).toISOString() };
}

/** The upload id of a notification. */
export const eventUploadId = (e: R2EventMessage) => r2UploadId(e.object.key, e.object.eTag ?? "");

/** Waits until the sequencer's inbox is empty (at once when the queue consumer is the writer). */
export async function inboxDrained(w: TestWorker) {
  await waitFor("the sequencer's inbox to drain", async () => {
    const { writer } = await status(w);
    return writer.kind === "consumer" || writer.sequencer?.backlog === 0;
  });
}
