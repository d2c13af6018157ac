// PEP 480 end to end, in workerd with R2, the queue and the sequencer (invariant 30): a repository
// bootstrapped in today's layout moves to claimed / recently-claimed / unclaimed at a targets
// ceremony; the operator claims a project; its maintainers push their signed role; a friend signs the
// Windows wheels under a sub-delegation; a ceremony moves the claim into claimed. tuf-js resolves
// every kind of file, and the online key can no longer publish a claimed project's file.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { utf8 } from "../../shared/encoding.js";
import { type Signer, ed25519Signer, randomSeed } from "../../shared/keys.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { Delegations, DelegatedRole, Targets } from "../../shared/metadata/targets.js";
import {
  CLAIMED, RECENTLY_CLAIMED, UNCLAIMED, type Claim, claimPatterns, migrateToProjectLayout, planClaimed, pushAuthorization, subPatterns,
} from "../../shared/projects/index.js";
import { verifyRepository } from "../../scripts/lib/verify.js";
import { DAY, admin, bootstrap, status, upload, waitForUpload } from "../support/repo.js";
import { DIR, PATH, bytesOf, currentSnapshot, fileOf, finishedJob, keysOf, push, published, role, webhookTarget } from "../support/project-worker.js";
import { TufClient } from "../support/tuf-client.js";
import { metadataJson } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

describe("project roles (PEP 480) in workerd", () => {
  let w: TestWorker;
  let repo: Awaited<ReturnType<typeof bootstrap>>;
  let online: Signer;
  const k = {} as Record<"offline" | "alice" | "bob" | "friend" | "stranger", Signer>;
  let demo: Claim;
  let before: TufClient;

  beforeAll(async () => {
    // Index mode: the index uploads the pages it signs; render mode would need real dists in the bucket.
    w = await startWorker({ vars: { SIMPLE_PAGES: "index" } });
    repo = await bootstrap(w, 4);
    online = await ed25519Signer(w.onlineSeed);
    for (const name of ["offline", "alice", "bob", "friend", "stranger"] as const) k[name] = await ed25519Signer(randomSeed());
    demo = { project: "demo", keys: [k.alice.key, k.bob.key], threshold: 2 };
    // Before the move: an unclaimed project's file and one of demo's, both signed by the online key
    // (as the webhook claims them; the bytes are then served from the bucket: they are not real dists).
    for (const path of [PATH.plain, PATH.demoOld]) {
      const res = await upload(w, { targets: [webhookTarget(path)] });
      expect((await waitForUpload(w, ((await res.json()) as { id: string }).id)).state).toBe("published");
    }
    for (const path of Object.values(PATH)) if (path !== PATH.demoRogue) await (await w.packages()).put(path, bytesOf(path));
    before = new TufClient(w.url, repo.rootBytes);
    expect(await before.targetInfo(PATH.demoOld)).not.toBeNull();
  }, 180_000);
  afterAll(async () => {
    before?.close();
    await w?.close();
  });

  test("claims and pushes are refused before the move", async () => {
    const res = await admin(w, "/v1/admin/claims", { project: "demo", keys: { [k.alice.key.keyid]: k.alice.key.toJSON() } });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("PEP 480");
  });

  test("the move: targets → claimed, recently-claimed, unclaimed at a ceremony; bins keep names and versions; no client fails", async () => {
    const snapshotBefore = await currentSnapshot(w);
    const move = migrateToProjectLayout(repo.targets.signed, { offline: [k.offline.key], offlineThreshold: 1, online: [online.key] }, { offline: Date.now() + 365 * DAY, online: Date.now() + DAY });
    const targets = await new Metadata(move.targets).sign(repo.keys.targets);
    const claimed = await new Metadata(move.roles.get(CLAIMED)!).sign([k.offline]);
    const unclaimed = await new Metadata(move.roles.get(UNCLAIMED)!).sign([k.offline]);

    // Refused with the field named: the layout's roles missing, or signed by the wrong key.
    let res = await admin(w, "/v1/admin/targets", { targets: targets.toJSON() });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "roles.unclaimed", error: expect.stringContaining("not published yet") });
    const forged = await new Metadata(move.roles.get(UNCLAIMED)!).sign([online]);
    res = await admin(w, "/v1/admin/targets", { targets: targets.toJSON(), roles: { claimed: claimed.toJSON(), unclaimed: forged.toJSON() } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { field: string }).field).toBe("roles.unclaimed");

    const moved = await admin(w, "/v1/admin/targets", { targets: targets.toJSON(), roles: { claimed: claimed.toJSON(), unclaimed: unclaimed.toJSON() } });
    // The online keys do not change: one commit, no bin re-signed.
    expect(await moved.clone().json()).toMatchObject({ steps: 1, resign: false });
    await finishedJob(w, moved);
    const snapshot = await currentSnapshot(w);
    for (const name of [CLAIMED, RECENTLY_CLAIMED, UNCLAIMED]) expect(snapshot.signed.meta[`${name}.json`]).toEqual({ version: 1 });
    // (The cron may renew a bin meanwhile: a version only grows.)
    for (const [name, meta] of Object.entries(snapshotBefore.signed.meta)) if (name.startsWith("bins-")) expect(snapshot.signed.meta[name].version).toBeGreaterThanOrEqual((meta as { version: number }).version);

    // A returning client (trusting the old targets) and a new one resolve the same files through unclaimed.
    const returning = new TufClient(w.url, repo.rootBytes, before.dir);
    expect((await returning.download(PATH.plain)).toString()).toBe(`bytes of ${PATH.plain}`);
    const fresh = new TufClient(w.url, repo.rootBytes);
    expect(await fresh.targetInfo(PATH.demoOld)).not.toBeNull();
    fresh.close();
    // The spec's own client (shared/client.ts, `tuf-edge verify`) checks every role and bin.
    const report = await verifyRepository({ url: w.url, trustedRoot: repo.rootBytes, bins: "all" });
    expect(report.roles.map((r) => r.name)).toEqual(expect.arrayContaining([CLAIMED, RECENTLY_CLAIMED, UNCLAIMED]));
    expect(report.bins).toHaveLength(16);
    // An upload of an unclaimed project still publishes to its bin.
    res = await upload(w, { targets: [webhookTarget(`${DIR}/plain-3.1.tar.gz`)] });
    expect((await waitForUpload(w, ((await res.json()) as { id: string }).id)).state).toBe("published");
  }, 180_000);

  test("claims: refused with an online key, a second time, or overlapping; accepted at once into recently-claimed", async () => {
    let res = await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(online), threshold: 1 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "keys" });
    res = await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(k.alice), threshold: 2 });
    expect(await res.json()).toMatchObject({ field: "threshold" });
    res = await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(k.alice) }, "wrong-token");
    expect(res.status).toBe(401);

    const claim = { project: "demo", keys: keysOf(k.alice, k.bob), threshold: 2 };
    res = await admin(w, "/v1/admin/claims", claim);
    expect(await res.json()).toMatchObject({ field: "role" });
    res = await admin(w, "/v1/admin/claims", { ...claim, role: (await role(1, [PATH.demoSdist], [k.alice])).toJSON() });
    expect(await res.json()).toMatchObject({ field: "role", reason: "threshold" });
    // The claim carries the project's first role: published in the same commit.
    const record = await published(w, await admin(w, "/v1/admin/claims", { ...claim, role: (await role(1, [PATH.demoSdist], [k.alice, k.bob])).toJSON() }));
    expect(record.state).toBe("published");
    const recent = await metadataJson(w, `${(await currentSnapshot(w)).signed.meta["recently-claimed.json"].version}.recently-claimed.json`);
    expect(recent.signed.delegations.roles).toEqual([
      expect.objectContaining({ name: "project-demo", terminating: true, threshold: 2, paths: claimPatterns(demo) }),
    ]);
    const empty = (await role(1, [], [k.stranger])).toJSON();
    res = await admin(w, "/v1/admin/claims", { project: "Demo", keys: keysOf(k.stranger), role: empty });
    expect(res.status).toBe(409);
    // A namespace, then a project inside it: overlapping patterns.
    expect((await published(w, await admin(w, "/v1/admin/claims", { project: "azure", namespace: true, keys: keysOf(k.stranger), role: empty }))).state).toBe("published");
    res = await admin(w, "/v1/admin/claims", { project: "azure-storage", keys: keysOf(k.stranger), role: empty });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ reason: "overlaps-claim" });
  }, 120_000);

  test("the online key can no longer publish a claimed project's file: the writer refuses it, and clients no longer accept the old one in its bin", async () => {
    const res = await upload(w, { targets: [webhookTarget(PATH.demoRogue)] });
    const record = await waitForUpload(w, ((await res.json()) as { id: string }).id);
    expect(record.state).toBe("rejected");
    expect(record.rejected[0].reason).toContain("project-demo");
    const client = new TufClient(w.url, repo.rootBytes);
    // demo-0.9 is still in its bin, signed by the online key; the terminating claim hides it.
    expect(await client.targetInfo(PATH.demoOld)).toBeNull();
    expect(await client.targetInfo(PATH.demoRogue)).toBeNull();
    client.close();
  }, 60_000);

  test("maintainers push their role: refusals name the reason; tuf-js resolves the file through recently-claimed", async () => {
    let client = new TufClient(w.url, repo.rootBytes);
    expect((await client.download(PATH.demoSdist)).toString()).toBe(`bytes of ${PATH.demoSdist}`);
    client.close();
    const files = [PATH.demoSdist, `${DIR}/demo-1.1.tar.gz`];
    await (await w.packages()).put(files[1]!, bytesOf(files[1]!));
    const v2 = await role(2, files, [k.alice, k.bob]);
    // One signature of two; a file outside the patterns; expired; a stranger's request.
    let res = await push(w, "demo", "project-demo", await role(2, files, [k.alice]), k.alice);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ reason: "threshold" });
    res = await push(w, "demo", "project-demo", await role(2, [...files, PATH.plain], [k.alice, k.bob]), k.alice);
    expect(await res.json()).toMatchObject({ reason: "target-outside-patterns" });
    res = await push(w, "demo", "project-demo", await role(2, files, [k.alice, k.bob], { expires: Date.now() - 1000 }), k.alice);
    expect(await res.json()).toMatchObject({ reason: "expired" });
    res = await push(w, "demo", "project-demo", v2, k.stranger);
    expect(res.status).toBe(403);
    // A rollback to version 1.
    res = await push(w, "demo", "project-demo", await role(1, files, [k.alice, k.bob]), k.alice);
    expect(await res.json()).toMatchObject({ reason: "version" });
    // A file whose bytes in the packages bucket are other bytes.
    const lying = new Targets({ version: 2, expires: Date.now() + DAY, targets: new Map([[PATH.demoSdist, new TargetFile(3, { sha256: "0".repeat(64) })]]) });
    res = await push(w, "demo", "project-demo", await new Metadata(lying).sign([k.alice, k.bob]), k.alice);
    expect(await res.json()).toMatchObject({ reason: "bytes" });

    expect((await published(w, await push(w, "demo", "project-demo", v2, k.bob))).state).toBe("published");
    client = new TufClient(w.url, repo.rootBytes);
    expect((await client.download(files[1]!)).toString()).toBe(`bytes of ${files[1]}`);
    client.close();
    // The same version again (a replay) is refused.
    res = await push(w, "demo", "project-demo", v2, k.bob);
    expect(await res.json()).toMatchObject({ reason: "version" });
  }, 120_000);

  test("the friend who builds the Windows wheels: a sub-delegation by pattern, and nothing outside it", async () => {
    const win = new DelegatedRole("project-demo.win", [k.friend.key.keyid], 1, true, subPatterns(claimPatterns(demo), "*-win*.whl"));
    const v3 = await role(3, [PATH.demoSdist], [k.alice, k.bob], { delegations: new Delegations({ [k.friend.key.keyid]: k.friend.key }, [win]) });
    expect((await published(w, await push(w, "demo", "project-demo", v3, k.alice))).state).toBe("published");

    let res = await push(w, "demo", "project-demo.win", await role(1, [PATH.friendLinux], [k.friend]), k.friend);
    expect(await res.json()).toMatchObject({ reason: "target-outside-patterns" });
    // The friend's key signs nothing of the project role itself.
    res = await push(w, "demo", "project-demo", await role(4, [PATH.demoSdist, PATH.friendLinux], [k.friend]), k.friend);
    expect(res.status).toBe(403);
    expect((await published(w, await push(w, "demo", "project-demo.win", await role(1, [PATH.friendWin], [k.friend]), k.friend))).state).toBe("published");

    const client = new TufClient(w.url, repo.rootBytes);
    expect((await client.download(PATH.friendWin)).toString()).toBe(`bytes of ${PATH.friendWin}`);
    expect(await client.targetInfo(PATH.friendLinux)).toBeNull();
    expect((await client.download(PATH.demoSdist)).toString()).toBe(`bytes of ${PATH.demoSdist}`);
    client.close();
  }, 120_000);

  test("a ceremony moves the claims into claimed: recently-claimed empties, clients resolve through claimed → part → project", async () => {
    const snapshot = await currentSnapshot(w);
    const version = (name: string) => snapshot.signed.meta[`${name}.json`].version as number;
    const azure: Claim = { project: "azure", namespace: true, keys: [k.stranger.key], threshold: 1 };
    // A claim that never came through the claim API (no published role) cannot be put into claimed.
    const zeta: Claim = { project: "zeta", keys: [k.stranger.key], threshold: 1 };
    const bad = planClaimed([demo, azure, zeta], { offline: [k.offline.key], threshold: 1 }, version(CLAIMED) + 1, Date.now() + 365 * DAY);
    const badRoles: Record<string, unknown> = { [CLAIMED]: (await new Metadata(bad.claimed).sign([k.offline])).toJSON() };
    for (const [name, part] of bad.parts) badRoles[name] = (await new Metadata(part).sign([k.offline])).toJSON();
    const refused = await admin(w, "/v1/admin/targets", { roles: badRoles });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: expect.stringContaining("project-zeta has no published role") });
    const plan = planClaimed([demo, azure], { offline: [k.offline.key], threshold: 1 }, version(CLAIMED) + 1, Date.now() + 365 * DAY);
    const roles: Record<string, unknown> = { [CLAIMED]: (await new Metadata(plan.claimed).sign([k.offline])).toJSON() };
    for (const [name, part] of plan.parts) roles[name] = (await new Metadata(part).sign([k.offline])).toJSON();
    await finishedJob(w, await admin(w, "/v1/admin/targets", { roles }));

    const after = await currentSnapshot(w);
    const recent = await metadataJson(w, `${after.signed.meta["recently-claimed.json"].version}.recently-claimed.json`);
    expect(recent.signed.delegations.roles).toEqual([]);
    for (const name of plan.parts.keys()) expect(after.signed.meta[`${name}.json`]).toBeDefined();
    const client = new TufClient(w.url, repo.rootBytes);
    expect((await client.download(PATH.demoSdist)).toString()).toBe(`bytes of ${PATH.demoSdist}`);
    expect((await client.download(PATH.friendWin)).toString()).toBe(`bytes of ${PATH.friendWin}`);
    expect(await client.targetInfo(PATH.demoOld)).toBeNull();
    expect((await client.download(PATH.plain)).toString()).toBe(`bytes of ${PATH.plain}`);
    client.close();
    // `tuf-edge verify` checks claimed's parts too (an operator's monitor: they expire offline).
    const report = await verifyRepository({ url: w.url, trustedRoot: repo.rootBytes, bins: 2 });
    expect(report.roles.map((r) => r.name)).toEqual(expect.arrayContaining([...plan.parts.keys()]));
    // The operator's view: claims, each role's version and expiry, on /v1/status and the status page.
    const st = await status(w);
    expect(st.roles.projects).toMatchObject({ claims: 2, recentClaims: 0, claimed: { version: 2, parts: plan.parts.size }, unclaimed: { version: 1 } });
    expect(st.warnings.map((x: { kind: string }) => x.kind)).toEqual(["rejected-uploads"]); // the online key's upload of demo, refused above
    expect(await (await fetch(`${w.url}/`)).text()).toMatch(/<tr data-role="claimed"[^]*2 claims in \d+ parts/);
    // The project keeps publishing through claimed; a claim of it again is refused.
    expect((await published(w, await push(w, "demo", "project-demo", await role(4, [PATH.demoSdist], [k.alice, k.bob], { delegations: new Delegations({ [k.friend.key.keyid]: k.friend.key }, [new DelegatedRole("project-demo.win", [k.friend.key.keyid], 1, true, subPatterns(claimPatterns(demo), "*-win*.whl"))]) }), k.alice))).state).toBe("published");
    const res = await admin(w, "/v1/admin/claims", { project: "demo", keys: { [k.stranger.key.keyid]: k.stranger.key.toJSON() }, role: (await role(1, [], [k.stranger])).toJSON() });
    expect(res.status).toBe(409);
  }, 180_000);

  test("keys rotated or revoked by a new delegation: the old keys stop working for new versions", async () => {
    const [carol, dave] = [await ed25519Signer(randomSeed()), await ed25519Signer(randomSeed())];
    // In recently-claimed: the operator replaces the claim's keys at once (the first role signed by the new ones).
    const fresh = `${DIR}/fresh-1.0.tar.gz`;
    await (await w.packages()).put(fresh, bytesOf(fresh));
    expect((await published(w, await admin(w, "/v1/admin/claims", { project: "fresh", keys: keysOf(k.stranger), role: (await role(1, [fresh], [k.stranger])).toJSON() }))).state).toBe("published");
    let res = await admin(w, "/v1/admin/claims", { project: "fresh", keys: keysOf(dave), replace: true, role: (await role(1, [fresh], [dave])).toJSON() });
    expect(await res.json()).toMatchObject({ reason: "version" });
    expect((await published(w, await admin(w, "/v1/admin/claims", { project: "fresh", keys: keysOf(dave), replace: true, role: (await role(2, [fresh], [dave])).toJSON() }))).state).toBe("published");
    res = await push(w, "fresh", "project-fresh", await role(3, [fresh], [k.stranger]), k.stranger);
    expect(res.status).toBe(403);
    expect((await published(w, await push(w, "fresh", "project-fresh", await role(3, [fresh], [dave]), dave))).state).toBe("published");

    // In claimed: only a ceremony changes a claim; with new keys it brings the role's next version, signed by them.
    res = await admin(w, "/v1/admin/claims", { project: "demo", keys: keysOf(carol), replace: true, role: (await role(9, [PATH.demoSdist], [carol])).toJSON() });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain("claims ceremony");
    const snapshot = await currentSnapshot(w);
    const version = (name: string) => snapshot.signed.meta[`${name}.json`].version as number;
    const azure: Claim = { project: "azure", namespace: true, keys: [k.stranger.key], threshold: 1 };
    const rekeyed: Claim = { ...demo, keys: [carol.key], threshold: 1 };
    const plan = planClaimed([rekeyed, azure], { offline: [k.offline.key], threshold: 1 }, version(CLAIMED) + 1, Date.now() + 365 * DAY);
    const roles: Record<string, unknown> = { [CLAIMED]: (await new Metadata(plan.claimed).sign([k.offline])).toJSON() };
    for (const [name, part] of plan.parts) roles[name] = (await new Metadata(part).sign([k.offline])).toJSON();
    res = await admin(w, "/v1/admin/targets", { roles });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: "roles.project-demo" });
    const next = version("project-demo") + 1;
    res = await admin(w, "/v1/admin/targets", { roles: { ...roles, "project-demo": (await role(next, [PATH.demoSdist, PATH.plain], [carol])).toJSON() } });
    expect(await res.json()).toMatchObject({ field: "roles.project-demo" }); // a file the published role does not list
    await finishedJob(w, await admin(w, "/v1/admin/targets", { roles: { ...roles, "project-demo": (await role(next, [PATH.demoSdist], [carol])).toJSON() } }));
    // alice and bob no longer sign demo's files; carol does.
    res = await push(w, "demo", "project-demo", await role(next + 1, [PATH.demoSdist], [k.alice, k.bob]), k.alice);
    expect(res.status).toBe(403);
    expect((await published(w, await push(w, "demo", "project-demo", await role(next + 1, [PATH.demoSdist], [carol]), carol))).state).toBe("published");
    const client = new TufClient(w.url, repo.rootBytes);
    expect((await client.download(PATH.demoSdist)).toString()).toBe(`bytes of ${PATH.demoSdist}`);
    expect((await client.download(fresh)).toString()).toBe(`bytes of ${fresh}`);
    client.close();
  }, 180_000);
});
