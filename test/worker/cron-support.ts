import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Updater } from "tuf-js";
import { binIndex } from "../../shared/bins.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import type { Snapshot } from "../../shared/metadata/snapshot.js";
import { MetadataStore } from "../../worker/storage/metadata-store.js";
import type { Root } from "../../shared/metadata/root.js";
import { rotateCeremony } from "../../scripts/lib/ceremony.js";
import { signCeremony } from "../../scripts/lib/signoff.js";
import { type OfflineKeys, admin, offlineKeys, signedInit, upload } from "../support/repo.js";
import type { TestWorker } from "../support/worker.js";

/** Helpers for the renewal and retention tests: a simulated clock, cron and queue runs on demand, what a timestamp reaches. */

export const HOUR = 3_600_000;
export const CRON = "*/5 * * * *";

/** Real time, whatever vi.useFakeTimers did to Date. */
export const realNow = () => Math.round(performance.timeOrigin + performance.now());

/** Sets the faulty entry's clock to `ms` (simulated epoch time). */
export async function setClock(w: TestWorker, ms: number): Promise<void> {
  const res = await fetch(`${w.url}/__test/clock`, { method: "POST", body: JSON.stringify({ offsetMs: ms - realNow() }) });
  if (!res.ok) throw new Error(`clock: ${res.status}`);
}

export async function runCron(w: TestWorker): Promise<string> {
  return (await (await w.mf.getWorker()).scheduled({ cron: CRON })).outcome;
}

let messageNumber = 0;
/** Runs the consumer on these messages now, as one batch (for a Worker started without a queue consumer). */
export async function deliverMessages(w: TestWorker, bodies: readonly unknown[]) {
  const messages = bodies.map((body) => ({ id: `m${++messageNumber}`, timestamp: new Date(realNow()), attempts: 1, body }));
  const result = await (await w.mf.getWorker()).queue("tuf-edge-uploads", messages);
  if (result.outcome !== "ok" || result.retryMessages.length > 0 || result.retryBatch.retry) throw new Error(`consumer: ${JSON.stringify(result)}`);
  return result;
}

/** Runs the consumer on these uploads now. */
export const deliver = (w: TestWorker, ids: readonly string[]) => deliverMessages(w, ids.map((id) => ({ kind: "upload", id })));

/** Bootstraps through the admin API, running each job step in the consumer directly. */
export async function bootstrapNow(w: TestWorker, bits: number) {
  const keys = await offlineKeys();
  const { root, targets } = await signedInit(w, bits, keys);
  await runJob(w, await admin(w, "/v1/admin/bootstrap", { root: root.toJSON(), targets: targets.toJSON() }));
  return { rootBytes: root.toBytes(), root, keys };
}

/** Runs every step of the admin job a 202 answer started, in the consumer, now. */
export async function runJob(w: TestWorker, res: Response) {
  if (res.status !== 202) throw new Error(`admin answered ${res.status}: ${await res.text()}`);
  const { job, steps } = (await res.json()) as { job: string; steps: number };
  for (let step = 0; step < steps; step++) await deliverMessages(w, [{ kind: "job", job, step }]);
}

/** Root version N+1 with the same keys, signed by the first two root holders (threshold 2 of 3). */
export async function nextRoot(trusted: Metadata<Root>, keys: OfflineKeys, expires: number): Promise<Metadata<Root>> {
  let ceremony = rotateCeremony({ trustedRoot: trusted, expires, targetsExpires: expires });
  for (const signer of keys.root.slice(0, 2)) ceremony = (await signCeremony(ceremony, signer)).ceremony;
  return ceremony.root! as Metadata<Root>;
}

/** A webhook upload of one target; returns its upload id. */
export async function sendUpload(w: TestWorker, path: string, content = path, timestamp?: number): Promise<string> {
  const bytes = new TextEncoder().encode(content);
  const digest = Buffer.from(await crypto.subtle.digest("SHA-256", bytes)).toString("hex");
  const res = await upload(w, { targets: [{ path, length: bytes.length, hashes: { sha256: digest } }] }, timestamp === undefined ? {} : { timestamp });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** What the last cron run recorded (state/cron.json), read from R2. */
export async function lastCronRun(bucket: R2Bucket): Promise<any> {
  return ((await (await bucket.get("state/cron.json"))!.json()) as any).lastRun;
}

/**
 * Takes over console.log for the Worker's log lines (Miniflare prints workerd's stdout through it):
 * keeps them for assertions instead of flooding the test output.
 */
export function captureLogs(): { lines: string[]; events: (event: string) => any[]; restore: () => void } {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const events = (event: string) =>
    lines.flatMap((line) => {
      try {
        const parsed = JSON.parse(line);
        return parsed?.event === event ? [parsed] : [];
      } catch {
        return [];
      }
    });
  return { lines, events, restore: () => void (console.log = original) };
}

export async function uploadState(w: TestWorker, id: string): Promise<any> {
  return (await fetch(`${w.url}/v1/uploads/${id}`)).json();
}

/** Every key under a prefix of the METADATA bucket. */
export async function listKeys(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

export const metadataNames = async (bucket: R2Bucket) => new Set((await listKeys(bucket, "metadata/")).map((k) => k.slice("metadata/".length)));

export interface Reach {
  readonly timestampVersion: number;
  /** Every versioned file the timestamp reaches: its snapshot, and every role that snapshot lists. */
  readonly files: ReadonlySet<string>;
  /** Role (`bins-3`, `targets`) → version, as the snapshot lists it. */
  readonly versions: ReadonlyMap<string, number>;
  readonly snapshotVersion: number;
  readonly timestampExpires: number;
}

/** The last snapshot parsed, by the SHA-256 the timestamp states (names repeat across test repositories). */
const snapshots = new Map<string, Snapshot>();

/** What the current timestamp reaches, read straight from R2 (not through the Worker's code paths). */
export async function currentReach(bucket: R2Bucket): Promise<Reach> {
  const store = new MetadataStore(bucket);
  const ts = Metadata.parse((await store.read("timestamp.json"))!.bytes, "timestamp").signed;
  const snapshotName = `${ts.snapshotMeta.version}.snapshot.json`;
  const key = ts.snapshotMeta.hashes?.sha256 ?? "";
  let snapshot = snapshots.get(key);
  if (!snapshot) {
    snapshot = Metadata.parse((await store.read(snapshotName))!.bytes, "snapshot").signed;
    snapshots.clear();
    if (key) snapshots.set(key, snapshot);
  }
  const files = new Set([snapshotName]);
  const versions = new Map<string, number>();
  for (const [name, meta] of snapshot.meta) {
    const role = name.slice(0, -".json".length);
    versions.set(role, meta.version);
    files.add(`${meta.version}.${role}.json`);
  }
  return { timestampVersion: ts.version, files, versions, snapshotVersion: ts.snapshotMeta.version, timestampExpires: ts.expires };
}

/** For each bin number, a path that hashes into it (TAP 15), so a client visits every bin. */
export function probePaths(bits: number): string[] {
  const found = new Map<number, string>();
  for (let i = 0; found.size < 2 ** bits; i++) {
    const path = `probe/${i}`;
    const index = binIndex(path, bits);
    if (!found.has(index)) found.set(index, path);
  }
  return [...found.values()];
}

/**
 * A tuf-js client whose trusted metadata persists between refreshes, like an installer run now and
 * then: each refresh is a new Updater over the same directory (rollback and freeze checks included).
 */
export class PersistentClient {
  readonly dir = mkdtempSync(join(tmpdir(), "tuf-edge-sim-"));

  constructor(private readonly url: string, rootBytes: Uint8Array) {
    writeFileSync(join(this.dir, "root.json"), rootBytes);
  }

  /** Refreshes, then looks up each path (loading and verifying the bins they fall in). */
  async refresh(paths: readonly string[] = []) {
    const updater = new Updater({
      metadataBaseUrl: `${this.url}/metadata`,
      targetBaseUrl: `${this.url}/targets`,
      metadataDir: this.dir,
      targetDir: this.dir,
    });
    await updater.refresh();
    const found = new Map<string, boolean>();
    for (const path of paths) found.set(path, (await updater.getTargetInfo(path)) !== undefined);
    return found;
  }

  /** The version of the root the client trusts now. */
  trustedRootVersion(): number {
    return JSON.parse(readFileSync(join(this.dir, "root.json"), "utf8")).signed.version;
  }

  close() {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
export { mulberry32 as prng } from "../support/random.js";
