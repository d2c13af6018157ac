// Admin jobs of several steps, run by the Worker as deployed (workerd, its own queue, the sequencer
// and its shards): production's 16,384 bins take 9 steps of 2,048 bins (SHARDED_BINS_PER_STEP), and
// a job of one step hides a step that works on the wrong slice. At 12 bits (4,096 bins) bootstrap, a
// full re-sign and an online key rotation each take 2 bin steps and a last one; after each, our
// spec §5 client verifies every bin. (Without shards a step is 512 bins: budget.test.ts,
// writer-shards.test.ts and the consumer-driven tests run those.)
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { allBinNames } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import { toHex } from "../../shared/encoding.js";
import { ed25519Signer, randomSeed, type Signer } from "../../shared/keys.js";
import { type Ceremony, rotateCeremony } from "../../scripts/lib/ceremony.js";
import { signCeremony } from "../../scripts/lib/signoff.js";
import { SHARDED_BINS_PER_STEP } from "../../worker/storage/jobs.js";
import { DAY, admin, bootstrap, status, waitFor } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 12;
const BINS = allBinNames(BITS);
const STEPS = BINS.length / SHARDED_BINS_PER_STEP + 1;

const signAll = async (c: Ceremony, signers: Signer[]) => {
  for (const s of signers) c = (await signCeremony(c, s)).ceremony;
  return c;
};

describe(`admin jobs of ${STEPS} steps (${BINS.length} bins)`, () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;

  /** Every bin, as a client starting from root 1 verifies it now (spec §5): each one's version. */
  async function verifiedBinVersions(): Promise<Map<string, number>> {
    const get = async (name: string) => {
      const res = await fetch(`${w.url}/metadata/${name}`);
      return res.status === 404 ? null : new Uint8Array(await res.arrayBuffer());
    };
    const trusted = await refresh(repo.rootBytes, get, Date.now(), BINS);
    expect(BINS.filter((bin) => !trusted.targets.has(bin))).toEqual([]);
    return new Map(BINS.map((bin) => [bin, trusted.snapshot!.signed.meta.get(`${bin}.json`)!.version]));
  }

  /** Waits for the job a 202 answer started, and returns its record from status. */
  async function finished(res: Response) {
    expect(res.status, await res.clone().text()).toBe(202);
    const { job, steps } = (await res.json()) as { job: string; steps: number };
    expect(steps).toBe(STEPS);
    const s = await waitFor(`job ${job}`, async () => {
      const now = await status(w);
      return now.job?.id === job && now.job.finished ? now : null;
    }, 180_000);
    expect(s.job).toMatchObject({ done: STEPS, steps: STEPS });
    expect(s.job.error).toBeUndefined();
    return s;
  }

  beforeAll(async () => {
    // A 1 s timestamp cache lifetime keeps the rotation's wait before the new root short.
    w = await startWorker({ vars: { TIMESTAMP_MAX_AGE: "1" } });
    repo = await bootstrap(w, BITS);
  });
  afterAll(() => w.close());

  test("bootstrap creates every bin, in every step's own slice", { timeout: 180_000 }, async () => {
    expect(STEPS).toBeGreaterThan(2);
    // The repository is published by the last step, a moment before the job records that step done.
    const s = await waitFor("the bootstrap job to finish", async () => ((await status(w)).job?.finished ? status(w) : null));
    expect(s.job).toMatchObject({ kind: "bootstrap", done: STEPS, steps: STEPS });
    expect(new Set((await verifiedBinVersions()).values())).toEqual(new Set([1]));
  });

  test("a re-sign gives every bin a new version", { timeout: 180_000 }, async () => {
    const before = await verifiedBinVersions();
    await finished(await admin(w, "/v1/admin/resign", {}));
    const after = await verifiedBinVersions();
    expect(BINS.filter((bin) => after.get(bin)! <= before.get(bin)!)).toEqual([]);
  });

  test("an online key rotation re-signs every bin with the new key before the new root appears", { timeout: 180_000 }, async () => {
    const before = await verifiedBinVersions();
    const nextSeed = randomSeed();
    const nextOnline = await ed25519Signer(nextSeed);
    await w.reconfigure({ ONLINE_KEY_NEXT: toHex(nextSeed) });
    const [r1, r2] = repo.keys.root;
    const rotated = await signAll(
      rotateCeremony({ trustedRoot: repo.root, currentTargets: repo.targets, onlineKey: nextOnline.key, expires: Date.now() + 365 * DAY, targetsExpires: Date.now() + 365 * DAY }),
      [r1!, r2!, ...repo.keys.targets],
    );
    await finished(await admin(w, "/v1/admin/root", { root: rotated.root!.toJSON(), targets: rotated.targets!.toJSON() }));
    // Root 2 delegates every bin to the new key alone: a bin any step left out fails to verify.
    expect((await fetch(`${w.url}/metadata/2.root.json`)).status).toBe(200);
    const after = await verifiedBinVersions();
    expect(BINS.filter((bin) => after.get(bin)! <= before.get(bin)!)).toEqual([]);
  });
});
