import { ed25519Signer, randomSeed, type Signer } from "../../shared/keys.js";
import type { Metadata } from "../../shared/metadata/metadata.js";
import type { Root } from "../../shared/metadata/root.js";
import type { Targets } from "../../shared/metadata/targets.js";
import { signWebhook } from "../../shared/webhook.js";
import { initCeremony } from "../../scripts/lib/ceremony.js";
import { signCeremony } from "../../scripts/lib/signoff.js";
import { getJson } from "../../scripts/lib/dev-repo.js";
import type { TestWorker } from "./worker.js";

export const DAY = 86_400_000;

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const admin = (w: TestWorker, path: string, body: unknown, token = w.secrets.ADMIN_TOKEN) =>
  fetch(`${w.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

export const status = (w: TestWorker): Promise<any> => getJson(`${w.url}/v1/status`);

/** Offline keys of a test ceremony: root holders and the targets key, all dev-only. */
export interface OfflineKeys {
  root: Signer[];
  targets: Signer[];
}

export async function offlineKeys(rootCount = 3): Promise<OfflineKeys> {
  return {
    root: await Promise.all(Array.from({ length: rootCount }, () => ed25519Signer(randomSeed()))),
    targets: [await ed25519Signer(randomSeed())],
  };
}

/** Root v1 (2 of 3 root keys) and targets v1 delegating to 2^bits bins, signed as a ceremony would. */
export async function signedInit(w: TestWorker, bits: number, keys: OfflineKeys, now = Date.now()) {
  const online = (await ed25519Signer(w.onlineSeed)).key;
  let ceremony = initCeremony({
    rootKeys: keys.root.map((s) => s.key),
    rootThreshold: 2,
    targetsKeys: keys.targets.map((s) => s.key),
    targetsThreshold: 1,
    onlineKey: online,
    bitLength: bits,
    expires: now + 365 * DAY,
  });
  for (const signer of [keys.root[0]!, keys.root[1]!, ...keys.targets]) ceremony = (await signCeremony(ceremony, signer)).ceremony;
  return { root: ceremony.root! as Metadata<Root>, targets: ceremony.targets! as Metadata<Targets> };
}

/**
 * Bootstraps a repository through the admin API and waits until timestamp.json is published and the
 * job has recorded its end (a moment after the publish: one write a second to the job record).
 */
export async function bootstrap(w: TestWorker, bits = 4, keys?: OfflineKeys) {
  const offline = keys ?? (await offlineKeys());
  const { root, targets } = await signedInit(w, bits, offline);
  const res = await admin(w, "/v1/admin/bootstrap", { root: root.toJSON(), targets: targets.toJSON() });
  if (res.status !== 202) throw new Error(`bootstrap answered ${res.status}: ${await res.text()}`);
  await waitFor("bootstrap", async () => {
    const s = await status(w);
    return s.published && s.job?.finished;
  }, 120_000);
  return { keys: offline, root, targets, rootBytes: root.toBytes() };
}

/** The timestamp each body was last signed with: a body sent again is signed with an earlier one. */
const lastSigned = new Map<string, number>();

/**
 * POSTs a signed webhook. Each call signs anew: the same body sent twice within a second gets two
 * timestamps, so it is a second request rather than a replay of the first (which the Worker refuses).
 */
export async function upload(w: TestWorker, body: unknown, opts: { secret?: string; timestamp?: number } = {}) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const key = `${w.url}\n${raw}`;
  const now = Math.floor(Date.now() / 1000);
  const seconds = opts.timestamp ?? Math.min(now, (lastSigned.get(key) ?? now + 1) - 1);
  if (opts.timestamp === undefined) lastSigned.set(key, seconds);
  const ts = String(seconds);
  return fetch(`${w.url}/v1/uploads`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-webhook-timestamp": ts,
      "x-webhook-signature": await signWebhook(opts.secret ?? w.secrets.WEBHOOK_SECRET, ts, raw),
    },
    body: raw,
  });
}

export async function waitForUpload(w: TestWorker, id: string, timeoutMs = 60_000) {
  return waitFor(`upload ${id}`, async () => {
    const r = await getJson(`${w.url}/v1/uploads/${id}`);
    return r.state !== "queued" ? r : null;
  }, timeoutMs);
}
