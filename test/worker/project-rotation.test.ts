// The online key rotated in PEP 480's layout (invariants 3, 11 and 30): root N+1 names the new key
// for timestamp and snapshot, targets M+1 delegates recently-claimed to it, and unclaimed N+1 the
// bins. The Worker co-signs with ONLINE_KEY_NEXT, re-signs every bin, and the job's last commit
// re-signs recently-claimed too; clients resolve claimed and unclaimed files throughout, and after
// the old key retires nothing it signs is needed.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { toHex } from "../../shared/encoding.js";
import { ed25519Signer, randomSeed, type Signer } from "../../shared/keys.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Role, Root } from "../../shared/metadata/root.js";
import { Delegations, SuccinctRoles, Targets } from "../../shared/metadata/targets.js";
import { layoutDelegations } from "../../shared/projects/index.js";
import { DIR, bytesOf, currentSnapshot, finishedJob, keysOf, moveToLayout, published, push, role } from "../support/project-worker.js";
import { admin, bootstrap, status } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { metadataJson } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

describe("rotating the online key in PEP 480's layout", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;
  let offline: Signer;
  let alice: Signer;
  const demoFile = `${DIR}/demo-1.0.tar.gz`;

  beforeAll(async () => {
    // A 1 s timestamp cache lifetime keeps the wait before the new key's root short.
    w = await startWorker({ vars: { TIMESTAMP_MAX_AGE: "1", SIMPLE_PAGES: "index" } });
    repo = await bootstrap(w, 4);
    [offline, alice] = [await ed25519Signer(randomSeed()), await ed25519Signer(randomSeed())];
    await moveToLayout(w, repo.targets, repo.keys.targets, offline!, await ed25519Signer(w.onlineSeed));
    await (await w.packages()).put(demoFile, bytesOf(demoFile));
    expect((await published(w, await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(alice!), role: (await role(1, [demoFile], [alice!])).toJSON() }))).state).toBe("published");
  }, 180_000);
  afterAll(() => w?.close());

  test("root 2, targets and unclaimed with the new key: every bin and recently-claimed re-signed; clients resolve before and after", async () => {
    const seed = randomSeed();
    const next = await ed25519Signer(seed);
    await w.reconfigure({ ONLINE_KEY_NEXT: toHex(seed) });
    const old = repo.root.signed;
    const root = new Root({
      version: 2, expires: old.expires, consistentSnapshot: true,
      keys: { ...Object.fromEntries(Object.entries(old.keys).filter(([id]) => !old.roles.timestamp.keyids.includes(id))), [next.key.keyid]: next.key },
      roles: { root: old.roles.root, targets: old.roles.targets, timestamp: new Role([next.key.keyid], 1), snapshot: new Role([next.key.keyid], 1) },
    });
    const signedRoot = await new Metadata(root).sign([repo.keys.root[0]!, repo.keys.root[1]!]);
    const snapshot = await currentSnapshot(w);
    const targetsVersion = snapshot.signed.meta["targets.json"].version as number;
    const unclaimedVersion = snapshot.signed.meta["unclaimed.json"].version as number;
    const targets = new Targets({ version: targetsVersion + 1, expires: Date.now() + 365 * 86_400_000, delegations: layoutDelegations({ offline: [offline.key], offlineThreshold: 1, online: [next.key] }) });
    const bins = new SuccinctRoles([next.key.keyid], 1, 4, "bins");
    const unclaimed = new Targets({ version: unclaimedVersion + 1, expires: Date.now() + 365 * 86_400_000, delegations: new Delegations({ [next.key.keyid]: next.key }, undefined, bins) });
    const res = await admin(w, "/v1/admin/root", {
      root: signedRoot.toJSON(),
      targets: (await new Metadata(targets).sign(repo.keys.targets)).toJSON(),
      roles: { unclaimed: (await new Metadata(unclaimed).sign([offline])).toJSON() },
    });
    expect(await res.clone().json()).toMatchObject({ resign: true });
    await finishedJob(w, res);

    // recently-claimed, re-signed by the job's last commit, carries the new key's signature.
    const after = await currentSnapshot(w);
    const recent = await metadataJson(w, `${after.signed.meta["recently-claimed.json"].version}.recently-claimed.json`);
    expect(recent.signatures.map((s: { keyid: string }) => s.keyid)).toContain(next.key.keyid);
    expect(recent.signed.delegations.roles.map((r: { name: string }) => r.name)).toEqual(["project-demo"]);

    // The old key retires: clients (a returning one from root 1, and a new one) resolve claimed and unclaimed files.
    await w.reconfigure({ ONLINE_KEY: toHex(seed), ONLINE_KEY_NEXT: "" });
    expect((await published(w, await push(w, "demo", "project-demo", await role(2, [demoFile], [alice]), alice))).state).toBe("published");
    expect((await status(w)).onlineKeys).toEqual([next.key.keyid]);
    const client = new TufClient(w.url, repo.rootBytes);
    expect((await client.download(demoFile)).toString()).toBe(`bytes of ${demoFile}`);
    expect(client.trusted("root").signed.version).toBe(2);
    expect(await client.targetInfo(`${DIR}/other-1.0.tar.gz`)).toBeNull(); // reaches a bin through unclaimed: signed by the new key
    client.close();
  }, 240_000);
});
