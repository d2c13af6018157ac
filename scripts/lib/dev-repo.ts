import { binFor } from "../../shared/bins.js";
import { ed25519Signer, randomSeed, type Key, type Signer } from "../../shared/keys.js";
import { signWebhook } from "../../shared/webhook.js";
import { initCeremony } from "./ceremony.js";
import { postAdmin, postJson } from "./http.js";
import { pollUntil } from "./poll.js";
import { signCeremony } from "./signoff.js";

const YEAR = 365 * 86_400_000;

/** A signed root v1 and targets v1 from throw-away offline keys: for local development and benchmarks only. */
export async function devCeremony(onlineKey: Key, bitLength: number, rootKeys: Signer[] = [], targetsKeys: Signer[] = []) {
  const root = rootKeys.length ? rootKeys : [await ed25519Signer(randomSeed())];
  const targets = targetsKeys.length ? targetsKeys : [await ed25519Signer(randomSeed())];
  let c = initCeremony({
    rootKeys: root.map((s) => s.key), rootThreshold: root.length,
    targetsKeys: targets.map((s) => s.key), targetsThreshold: targets.length,
    onlineKey, bitLength, expires: Date.now() + YEAR,
  });
  for (const s of [...root, ...targets]) c = (await signCeremony(c, s)).ceremony;
  return { root: c.root!, targets: c.targets!, rootKeys: root, targetsKeys: targets };
}

/**
 * GET with a retry when the connection drops: workerd may close an idle keep-alive socket just as
 * the client reuses it ("other side closed"), which is safe to retry for a GET.
 */
export async function getWithRetry(url: string, attempts = 3): Promise<Response> {
  for (let i = 1; ; i++) {
    try {
      return await fetch(url);
    } catch (e) {
      if (i >= attempts) throw e;
    }
  }
}

export async function getJson(url: string): Promise<any> {
  return (await getWithRetry(url)).json();
}

/**
 * Submits the ceremony to /v1/admin/bootstrap and waits until timestamp.json is published and the
 * job has recorded its end (a moment later: the job record takes one write a second), so that the
 * next admin job can start.
 */
export async function bootstrapRepository(url: string, adminToken: string, c: { root: { toJSON(): unknown }; targets: { toJSON(): unknown } }, timeoutMs = 600_000) {
  const res = await postAdmin(url, "/v1/admin/bootstrap", { root: c.root.toJSON(), targets: c.targets.toJSON() }, adminToken);
  if (res.status !== 202) throw new Error(`bootstrap answered ${res.status}: ${JSON.stringify(res.body)}`);
  await pollUntil("the bootstrap to publish", async () => {
    const s = await getJson(`${url}/v1/status`);
    return (s.published && s.job?.finished) || undefined;
  }, { timeoutMs, intervalMs: 100 });
}

/** POSTs a webhook upload, signed with the secret; the answer's body is `{id, accepted}` on 202. */
export async function postUpload(url: string, secret: string, body: unknown) {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  const answer = await postJson(`${url}/v1/uploads`, raw, { "x-webhook-timestamp": ts, "x-webhook-signature": await signWebhook(secret, ts, raw) });
  return { status: answer.status, body: answer.body as { id: string; error?: string } };
}

/** Groups items by bin and packs whole bins into chunks (each bin signed once per import). */
export function chunksByBin<T extends { path: string }>(items: Iterable<T>, bitLength: number, maxBins: number, maxItems: number): T[][] {
  const byBin = new Map<string, T[]>();
  for (const item of items) {
    const bin = binFor(item.path, bitLength);
    (byBin.get(bin) ?? byBin.set(bin, []).get(bin)!).push(item);
  }
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bins = 0;
  for (const group of byBin.values()) {
    if (chunk.length && (bins + 1 > maxBins || chunk.length + group.length > maxItems)) {
      chunks.push(chunk);
      chunk = [];
      bins = 0;
    }
    chunk.push(...group);
    bins++;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}
