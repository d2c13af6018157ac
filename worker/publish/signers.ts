import { type Signer, ed25519Signer, seedFromHex } from "../../shared/keys.js";
import type { Clock } from "../../shared/time.js";
import type { Env } from "../env.js";
import { readOnlineKeys, writeOnlineKeys } from "../storage/online-keys.js";

let cached: { secrets: string; signers: Promise<Signer[]> } | undefined;

/**
 * The online signers: ONLINE_KEY, plus ONLINE_KEY_NEXT during a rotation. Every online role is
 * signed by all of them, so clients that trust either root verify (unknown keyids are ignored).
 * Only the writer (the sequencer or queue consumer, its shards, the cron) loads them: the request path
 * never does (invariant 10).
 */
export function onlineSigners(env: Env): Promise<Signer[]> {
  const secrets = `${env.ONLINE_KEY}|${env.ONLINE_KEY_NEXT ?? ""}`;
  if (cached?.secrets !== secrets) {
    const seeds = [seedFromHex(env.ONLINE_KEY ?? "", "ONLINE_KEY")];
    if (env.ONLINE_KEY_NEXT) seeds.push(seedFromHex(env.ONLINE_KEY_NEXT, "ONLINE_KEY_NEXT"));
    cached = { secrets, signers: Promise.all(seeds.map(ed25519Signer)) };
  }
  return cached.signers;
}

/** The key ids this isolate found in the record, or wrote there. */
let recorded: string | undefined;

/**
 * Records the signers' key ids for the request path (storage/online-keys.ts) when they differ from
 * the record: one read per isolate and signer set. A failure is logged, never thrown: the record is
 * for people, and the next writer run tries again.
 */
export async function recordSigners(bucket: R2Bucket, signers: readonly Signer[], clock: Clock): Promise<void> {
  const keyids = signers.map((s) => s.key.keyid);
  if (recorded === keyids.join()) return;
  try {
    if ((await readOnlineKeys(bucket))?.keyids.join() !== keyids.join()) {
      await writeOnlineKeys(bucket, { keyids, recorded: new Date(clock()).toISOString() });
    }
    recorded = keyids.join();
  } catch (e) {
    console.log(JSON.stringify({ event: "online-keys-record-failed", error: (e as Error).message }));
  }
}
