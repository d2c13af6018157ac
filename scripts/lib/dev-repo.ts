import { binFor } from "../../shared/bins.js";
import { ed25519Signer, randomSeed, type Key, type Signer } from "../../shared/keys.js";
import { signWebhook } from "../../shared/webhook.js";
import { initCeremony } from "./ceremony.js";
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

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { error: text };
  }
  return { status: res.status, json };
}

export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Submits the ceremony to /v1/admin/bootstrap and waits until timestamp.json is published. */
export async function bootstrapRepository(url: string, adminToken: string, c: { root: { toJSON(): unknown }; targets: { toJSON(): unknown } }, timeoutMs = 600_000) {
  const res = await postJson(`${url}/v1/admin/bootstrap`, { root: c.root.toJSON(), targets: c.targets.toJSON() }, { authorization: `Bearer ${adminToken}` });
  if (res.status !== 202) throw new Error(`bootstrap answered ${res.status}: ${JSON.stringify(res.json)}`);
  await until("the bootstrap to publish", async () => (await getJson(`${url}/v1/status`)).published, timeoutMs, 100);
}

/** POSTs a webhook upload, signed with the secret. */
export async function postUpload(url: string, secret: string, body: unknown) {
  const raw = JSON.stringify(body);
  const ts = String(Math.floor(Date.now() / 1000));
  return postJson(`${url}/v1/uploads`, raw, { "x-webhook-timestamp": ts, "x-webhook-signature": await signWebhook(secret, ts, raw) });
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
