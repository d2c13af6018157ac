// PEP 480's targets ceremonies as files (scripts/lib/project-ceremony.ts): `layout` and `claims`
// carry the roles beside targets (`roles`), each signed by the keys its delegator names; status names
// who is missing role by role; `targets` sends them; shared/'s verifyTargets (what the Worker runs)
// accepts the result. And `project claim` against a stub: what it sends, and its one-line refusals.
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DelegatedRole, Key, Metadata, type Root, Targets, ed25519Signer, randomSeed } from "../../shared/index.js";
import { verifyTargets } from "../../shared/offline.js";
import {
  CLAIMED, type Claim, RECENTLY_CLAIMED, UNCLAIMED, claimDelegation, claimPatterns, claimsRole, planClaimed, verifyProjectRole,
} from "../../shared/projects/index.js";
import { parseCeremony } from "../../scripts/lib/ceremony.js";
import { writeNewCeremonyFile } from "../../scripts/lib/ceremony-file.js";
import { decryptKeyFile, loadKeyFile } from "../../scripts/lib/keyfile.js";
import { claimOf, claimsCeremony, layoutCeremony } from "../../scripts/lib/project-ceremony.js";
import { PASSPHRASES, initCeremony, keygen, pub, readJson, sign } from "./fixtures.js";
import { json, runCli, startServer, withTempDir } from "./helpers.js";

const DAY = 86_400_000;
const readJsonSync = (file: string) => JSON.parse(readFileSync(file, "utf8"));
const keyOf = async (keyFile: string) => Key.fromJSON(await readJson(pub(keyFile)));
/** What verifyLayout needs of the published roles, from a plain map. */
const publishedOf = (versions: Record<string, number>, roles: Record<string, Targets> = {}) => ({
  version: (name: string) => versions[name],
  role: (name: string) => roles[name],
});

describe("PEP 480 ceremony files: layout and claims", () => {
  let dir: string;
  let keys: Record<string, string>;
  let root: Metadata<Root>;
  let targets: Metadata<Targets>;
  let offline: Key;
  let stub: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tuf-edge-roles-"));
    keys = await keygen(dir, "root1", "root2", "root3", "targets1", "offline1", "online1");
    const { file } = await initCeremony(dir, keys, ["root1", "root2", "targets1"], 4);
    const init = await readJson(file);
    root = Metadata.fromJSON(init.root, "root");
    targets = Metadata.fromJSON(init.targets, "targets");
    offline = await keyOf(keys.offline1!);
    stub = await startServer((_req, res) => json(res, 202, { job: "j", kind: "publish", steps: 1, resign: false }));
  });
  afterAll(async () => {
    await stub.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A layout ceremony file whose claimed and unclaimed are signed by offline1 (not the targets key). */
  async function layoutFile(name: string) {
    const file = join(dir, name);
    const ceremony = layoutCeremony({ trustedRoot: root, currentTargets: targets, offline: [offline], offlineThreshold: 1, expires: Date.now() + 365 * DAY });
    await writeNewCeremonyFile(file, { ...ceremony, names: { [offline.keyid]: "offline1" } });
    return file;
  }

  it("layout: status names the missing signature of each role; sign signs the roles the key is delegated; targets sends targets and roles", async () => {
    const file = await layoutFile("layout.json");
    const status = await runCli(["ceremony", "status", file]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^targets v2: the targets keys of root v1: 0 signatures, 1 needed \(1 missing: key \w{8}\)$/m);
    expect(status.stdout).toContain("claimed v1: the keys targets v2 delegates it to: 0 signatures, 1 needed (1 missing: offline1)");
    expect(status.stdout).toContain("unclaimed v1: the keys targets v2 delegates it to: 0 signatures, 1 needed (1 missing: offline1)");
    expect(status.stdout).toContain("delegates to recently-claimed: 1 of");

    expect((await sign(file, keys.targets1!)).stdout).toMatch(/^signed targets v2 with key/m);
    const early = await runCli(["targets", "--url", stub.url, "--file", file], { ADMIN_TOKEN: "t" });
    expect([early.code, early.stderr.split("\n")]).toEqual([1, [
      "tuf-edge targets: not enough signatures: claimed v1 lacks 1 of the keys targets v2 delegates it to (offline1); unclaimed v1 lacks 1 of the keys targets v2 delegates it to (offline1); collect them with `tuf-edge ceremony sign`",
    ]]);
    expect(stub.requests).toHaveLength(0);
    const signed = await sign(file, keys.offline1!);
    expect(signed.stdout).toMatch(/^signed claimed v1 and unclaimed v1 with key/m);
    expect(signed.stdout).toContain("all thresholds are met");
    const st = JSON.parse((await runCli(["ceremony", "status", file, "--json"])).stdout);
    expect([st.kind, st.complete, st.signatures.map((s: { role: string }) => s.role)]).toEqual(["layout", true, ["targets", "claimed", "unclaimed"]]);

    // What the Worker checks (shared/offline.ts): thresholds, the layout, key separation.
    const c = await readJson(file);
    expect(() => verifyTargets(c.targets, root.signed, Date.now(), { roles: c.roles, published: publishedOf({}) })).not.toThrow();
    expect(c.roles.unclaimed.signed.delegations.succinct_roles).toEqual(targets.signed.delegations!.succinctRoles!.toJSON());

    const sent = await runCli(["targets", "--url", stub.url, "--file", file], { ADMIN_TOKEN: "t" });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^accepted: targets v2, claimed v1 and unclaimed v1, job j \(publish, 1 step\)$/m);
    const body = JSON.parse(stub.requests.at(-1)!.body);
    expect([stub.requests.at(-1)!.url, Object.keys(body).sort(), Object.keys(body.roles).sort()]).toEqual(["/v1/admin/targets", ["roles", "targets"], [CLAIMED, UNCLAIMED]]);
    expect(body.roles).toEqual(c.roles);
  });

  it("rotate in PEP 480's layout: targets M+1 moves recently-claimed, unclaimed K+1 the bins, to the new online key", async () => {
    // The layout as published: targets v2 and unclaimed v1 (from layout.json, signed above).
    const published = await readJson(join(dir, "layout.json"));
    const current = Metadata.fromJSON(published.targets, "targets");
    const unclaimed = Metadata.fromJSON(published.roles.unclaimed, "targets");
    const online2File = (await keygen(dir, "online2")).online2!;
    const online2 = await keyOf(online2File);
    const file = join(dir, "rotate-layout.json");
    const missing = await runCli(["ceremony", "rotate", "--from-root", join(dir, "root.json"), "--from-targets", join(dir, "t2.json"), "--online-key", pub(keys.online1!), "--out", file]);
    expect(missing.code).not.toBe(0);
    await writeFile(join(dir, "root.json"), JSON.stringify(root.toJSON()));
    await writeFile(join(dir, "t2.json"), JSON.stringify(current.toJSON()));
    await writeFile(join(dir, "u1.json"), JSON.stringify(unclaimed.toJSON()));
    const noUnclaimed = await runCli(["ceremony", "rotate", "--from-root", join(dir, "root.json"), "--from-targets", join(dir, "t2.json"), "--online-key", pub(online2File), "--out", join(dir, "x.json")]);
    expect([noUnclaimed.code, noUnclaimed.stderr]).toEqual([2, expect.stringContaining("--from-unclaimed")]);
    const made = await runCli(["ceremony", "rotate", "--from-root", join(dir, "root.json"), "--from-targets", join(dir, "t2.json"), "--from-unclaimed", join(dir, "u1.json"), "--online-key", pub(online2File), "--out", file]);
    expect(made.code, made.stderr).toBe(0);
    for (const k of [keys.root1!, keys.root2!, keys.targets1!, keys.offline1!]) expect((await sign(file, k)).code).toBe(0);
    const c = await readJson(file);
    expect(c.targets.signed.delegations.roles.find((r: { name: string }) => r.name === RECENTLY_CLAIMED).keyids).toEqual([online2.keyid]);
    expect(c.roles.unclaimed.signed.delegations.succinct_roles.keyids).toEqual([online2.keyid]);
    expect(c.roles.unclaimed.signed.version).toBe(unclaimed.signed.version + 1);
    // What the Worker checks, under root 2: the new online key is online everywhere, and only there.
    const root2 = Metadata.fromJSON(c.root, "root").signed;
    const checked = verifyTargets(c.targets, root2, Date.now(), { roles: c.roles, published: publishedOf({ [CLAIMED]: 1, [UNCLAIMED]: 1 }, { [CLAIMED]: Metadata.fromJSON(published.roles.claimed, "targets").signed }) });
    expect([checked.online.bins.keyids, checked.online.recentlyClaimed?.keyids]).toEqual([[online2.keyid], [online2.keyid]]);
    const sent = await runCli(["rotate", "--url", stub.url, "--file", file], { ADMIN_TOKEN: "t" });
    expect(sent.code, sent.stderr).toBe(0);
    const body = JSON.parse(stub.requests.at(-1)!.body);
    expect([stub.requests.at(-1)!.url, Object.keys(body).sort(), Object.keys(body.roles)]).toEqual(["/v1/admin/root", ["roles", "root", "targets"], [UNCLAIMED]]);
  });

  it("layout by default: the targets keys sign claimed and unclaimed too, in one signing", async () => {
    const file = join(dir, "layout-default.json");
    await writeNewCeremonyFile(file, layoutCeremony({ trustedRoot: root, currentTargets: targets, expires: Date.now() + 30 * DAY }));
    const signed = await sign(file, keys.targets1!);
    expect(signed.stdout).toMatch(/^signed targets v2, claimed v1 and unclaimed v1 with key/m);
    expect(signed.stdout).toContain("all thresholds are met");
  });

  it("refuses in one line: a role nothing delegates, a role a ceremony does not sign, the online key offline, a repository moved already", () =>
    withTempDir(async (tmp) => {
      const c = await readJson(await layoutFile("layout-bad.json"));
      for (const [role, message] of [
        ["claimed-zz", "roles.claimed-zz: nothing in the ceremony delegates to claimed-zz, so no one could sign it"],
        ["bins-0", "roles.bins-0: is not a role a ceremony signs (claimed, unclaimed, claimed-<prefix>)"],
      ] as const) {
        const file = join(tmp, `${role}.json`);
        await writeFile(file, JSON.stringify({ ...c, roles: { ...c.roles, [role]: c.roles.claimed } }));
        const r = await runCli(["ceremony", "status", file]);
        expect([r.code, r.stderr]).toEqual([1, `tuf-edge ceremony status: ${file}: ${message}`]);
      }
      const online = await keyOf(keys.online1!);
      expect(() => layoutCeremony({ trustedRoot: root, currentTargets: targets, offline: [online], offlineThreshold: 1, expires: Date.now() + DAY })).toThrow(/is an online key/);
      expect(() => layoutCeremony({ trustedRoot: root, currentTargets: targets, offline: [offline], offlineThreshold: 2, expires: Date.now() + DAY })).toThrow(/--offline-threshold 2 is more than the 1 keys/);
      const targetsKey = await decryptKeyFile(await loadKeyFile(keys.targets1!), PASSPHRASES.PASS);
      const moved = await new Metadata(parseCeremony(c, "c").targets!.signed).sign([targetsKey]);
      expect(() => layoutCeremony({ trustedRoot: root, currentTargets: moved, expires: Date.now() + DAY })).toThrow("targets v2 is in PEP 480's layout already");
      const unsigned = await moved.sign([], false);
      expect(() => layoutCeremony({ trustedRoot: root, currentTargets: unsigned, expires: Date.now() + DAY })).toThrow(/targets v2 has 0 valid signatures/);
      const r = await runCli(["ceremony", "layout", "--trusted-root", join(tmp, "missing.json"), "--url", "http://127.0.0.1:9", "--out", join(tmp, "x.json")]);
      expect([r.code, r.stderr]).toEqual([1, expect.stringMatching(/^tuf-edge ceremony layout: cannot read .*missing.json: ENOENT$/)]);
      const noThreshold = await runCli(["ceremony", "layout", "--trusted-root", "r.json", "--url", "http://127.0.0.1:9", "--offline-key", pub(keys.offline1!), "--out", join(tmp, "x.json")]);
      expect([noThreshold.code, noThreshold.stderr]).toEqual([2, expect.stringContaining("--offline-threshold is required with --offline-key")]);
    }));

  it("claims: every claim carried over unchanged (claimed's and recently-claimed's), parts one version up, signed by claimed's keys", async () => {
    const layout = parseCeremony(await readJson(join(dir, "layout.json")), "layout.json");
    const [alice, bob, carol] = await Promise.all([0, 1, 2].map(() => ed25519Signer(randomSeed())));
    const demo: Claim = { project: "demo", keys: [alice!.key, bob!.key], threshold: 2, spellings: ["Demo"], pages: true };
    const azure: Claim = { project: "azure", namespace: true, keys: [carol!.key], threshold: 1 };
    const fresh: Claim = { project: "fresh", keys: [bob!.key], threshold: 1 };
    const expires = Date.now() + 100 * DAY;
    // Published: claimed v3 with demo in its parts, and two claims since, in recently-claimed.
    const before = planClaimed([demo], { offline: [offline], threshold: 1 }, 3, expires);
    const [partName] = [...before.parts.keys()];
    const recent = claimsRole([azure, fresh], 5, expires);
    const versions = { [CLAIMED]: 3, [partName!]: 2, [RECENTLY_CLAIMED]: 5, [UNCLAIMED]: 1, "project-demo": 1, "namespace-azure": 1, "project-fresh": 1 };
    const { ceremony, kept, moved } = claimsCeremony({
      trustedRoot: root, targets: layout.targets!, claimed: before.claimed, parts: before.parts, recentlyClaimed: recent,
      version: (name) => versions[name],
    }, Date.now() + 365 * DAY);
    expect([kept, moved]).toEqual([["project-demo"], ["namespace-azure", "project-fresh"]]);
    const roles = ceremony.roles!;
    expect(roles.get(CLAIMED)!.signed.version).toBe(4);
    expect([...roles].map(([name, m]) => [name, m.signed.version])).toEqual([[CLAIMED, 4], [partName, 3]]);
    // Each claim's delegation, as published, sits unchanged in one of the new parts.
    const published = [...before.parts.values()].flatMap((p) => p.delegations!.roles!).concat(recent.delegations!.roles!);
    const now = [...roles].filter(([n]) => n !== CLAIMED).flatMap(([, p]) => p.signed.delegations!.roles!);
    const byName = (list: DelegatedRole[]) => list.map((d) => d.toJSON()).sort((a, b) => String(a.name).localeCompare(String(b.name)));
    expect(byName(now)).toEqual(byName(published));

    // A second ceremony with no new claim leaves the part as published (read back as a client would),
    // unless it expires within half the new validity.
    const parsed = new Map([...before.parts].map(([n, t]) => [n, Metadata.fromJSON(new Metadata(t).toJSON(), "targets").signed]));
    const again = (partExpires: number) => claimsCeremony({
      trustedRoot: root, targets: layout.targets!, claimed: before.claimed, recentlyClaimed: claimsRole([], 6, expires), version: (name) => versions[name],
      parts: new Map([...parsed].map(([n, t]) => [n, new Targets({ version: t.version, expires: partExpires, delegations: t.delegations })])),
    }, Date.now() + 100 * DAY).ceremony.roles!;
    expect([...again(expires).keys()]).toEqual([CLAIMED]);
    expect([...again(Date.now() + 40 * DAY).keys()]).toEqual([CLAIMED, partName]);

    const file = join(dir, "claims.json");
    await writeNewCeremonyFile(file, { ...ceremony, names: { [offline.keyid]: "offline1" } });
    const status = await runCli(["ceremony", "status", file]);
    expect(status.stdout).toContain("claimed v4: the keys targets v2 delegates it to: 0 signatures, 1 needed (1 missing: offline1)");
    expect(status.stdout).toContain(`${partName} v3: the keys claimed v4 delegates it to: 0 signatures, 1 needed (1 missing: offline1)`);
    const targetsKey = await runCli(["ceremony", "sign", file, "--key", keys.targets1!, "--passphrase-env", "PASS"], PASSPHRASES);
    expect([targetsKey.code, targetsKey.stderr]).toEqual([1, expect.stringContaining("is not one of the keys that sign")]);
    expect((await sign(file, keys.offline1!)).stdout).toContain("all thresholds are met");

    // The Worker's check of a ceremony's roles, on this published state.
    const c = await readJson(file);
    const unclaimed = layout.roles!.get(UNCLAIMED)!.signed;
    expect(() => verifyTargets(layout.targets!.toJSON(), root.signed, Date.now(), { roles: c.roles, published: publishedOf(versions, { [CLAIMED]: before.claimed, [UNCLAIMED]: unclaimed }) })).not.toThrow();

    const sent = await runCli(["targets", "--url", stub.url, "--file", file], { ADMIN_TOKEN: "t" });
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/^accepted: claimed v4 and 1 part of claimed, job j/m);
    const body = JSON.parse(stub.requests.at(-1)!.body);
    expect(Object.keys(body)).toEqual(["roles"]);
    expect(Object.keys(body.roles).sort()).toEqual([...roles.keys()].sort());
  });

  it("claims with no claim at all: claimed renewed empty, no part", () => {
    const layout = parseCeremony(readJsonSync(join(dir, "layout.json")), "layout.json");
    const empty = claimsRole([], 1, Date.now() + DAY);
    const { ceremony, kept, moved } = claimsCeremony({
      trustedRoot: root, targets: layout.targets!, claimed: layout.roles!.get(CLAIMED)!.signed, parts: new Map(), recentlyClaimed: empty,
      version: (name) => (name === CLAIMED ? 1 : undefined),
    }, Date.now() + 365 * DAY);
    expect([kept, moved, [...ceremony.roles!.keys()]]).toEqual([[], [], [CLAIMED]]);
    expect(ceremony.roles!.get(CLAIMED)!.signed.toJSON()).toMatchObject({ version: 2, targets: {} });
    expect(ceremony.roles!.get(CLAIMED)!.signed.delegations).toBeUndefined();
  });

  it("claimOf reads a claim back from its delegation, and refuses one no claim makes", async () => {
    const [alice] = await Promise.all([ed25519Signer(randomSeed())]);
    const keys = { [alice!.key.keyid]: alice!.key };
    for (const claim of [
      { project: "zope-interface", keys: [alice!.key], threshold: 1, spellings: ["zope.interface", "Zope.Interface"], pages: true },
      { project: "azure", namespace: true, keys: [alice!.key], threshold: 1, spellings: ["azure-storage"] },
    ] satisfies Claim[]) {
      const d = claimDelegation(claim);
      expect(claimDelegation(claimOf(d, keys, "part")).toJSON()).toEqual(d.toJSON());
    }
    const ids = [alice!.key.keyid];
    expect(() => claimOf(new DelegatedRole("project-demo", ids, 1, true, ["packages/*/demo-*"]), keys, "claimed-d")).toThrow(/^claimed-d's delegation to project-demo is not one a claim makes/);
    expect(() => claimOf(new DelegatedRole("project-demo", ids, 1, false, claimPatterns({ project: "demo" })), keys, "p")).toThrow(/not one a claim makes/);
    expect(() => claimOf(new DelegatedRole("project-demo.win", ids, 1, true, ["packages/*/demo-*"]), keys, "p")).toThrow(/not a claim/);
    expect(() => claimOf(new DelegatedRole("project-demo", ids, 1, true, claimPatterns({ project: "demo" })), {}, "p")).toThrow(/names key .* but does not list it/);
  });
});

describe("tuf-edge project claim (against a stub)", () => {
  const ENV = { TUF_EDGE_INSECURE_TEST_KEYS: "1", A: "alice's passphrase", B: "bob's passphrase", ADMIN_TOKEN: "s3cret" };
  let upload: unknown = { state: "published", snapshotVersion: 7 };
  let claimAnswer = { status: 202, body: { id: "u1", role: "project-demo", paths: [] } as unknown };
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer((req, res) => (req.method === "POST" ? json(res, claimAnswer.status, claimAnswer.body) : json(res, 200, upload)));
  });
  afterAll(() => server.close());

  /** demo's role file, 2 of alice and bob, listing one sdist, signed by `signers`. */
  async function roleFile(dir: string, signers: ("alice" | "bob")[]) {
    const cli = (...args: string[]) => runCli(args, ENV);
    for (const [who, env] of [["alice", "A"], ["bob", "B"]] as const) {
      expect((await cli("project", "keygen", "--out", join(dir, `${who}.key`), "--name", who, "--passphrase-env", env)).code).toBe(0);
    }
    await mkdir(join(dir, "dist"));
    await writeFile(join(dir, "dist", "demo-1.0.tar.gz"), "bytes of demo-1.0.tar.gz");
    const file = join(dir, "demo.role.json");
    expect((await cli("project", "init", "--project", "Demo", "--key", pub(join(dir, "alice.key")), "--key", pub(join(dir, "bob.key")), "--threshold", "2", "--pages", "--out", file)).code).toBe(0);
    expect((await cli("project", "add", file, "--file", join(dir, "dist", "demo-1.0.tar.gz"))).code).toBe(0);
    for (const who of signers) expect((await cli("project", "sign", file, "--key", join(dir, `${who}.key`), "--passphrase-env", who === "alice" ? "A" : "B")).code).toBe(0);
    return file;
  }

  it("sends the maintainers' keys, threshold, patterns and signed role; waits for the upload; records the version published", () =>
    withTempDir(async (dir) => {
      const file = await roleFile(dir, ["alice"]);
      const early = await runCli(["project", "claim", file, "--url", server.url], ENV);
      expect([early.code, early.stderr]).toEqual([1, "tuf-edge project claim: project-demo v1 has 1 of the 2 signatures it needs (missing: bob); the maintainers sign it first (tuf-edge project sign)"]);
      expect(server.requests).toHaveLength(0);
      await runCli(["project", "sign", file, "--key", join(dir, "bob.key"), "--passphrase-env", "B"], ENV);
      const noToken = await runCli(["project", "claim", file, "--url", server.url], { ...ENV, ADMIN_TOKEN: "" });
      expect([noToken.code, noToken.stderr]).toEqual([2, expect.stringContaining("ADMIN_TOKEN")]);

      const r = await runCli(["project", "claim", file, "--url", server.url], ENV);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^accepted: the claim of project-demo \(2 of 2 maintainers' keys\), upload u1$/m);
      expect(r.stdout).toMatch(/^published: project-demo v1 is claimed .*snapshot v7\)$/m);
      const [post, get] = server.requests;
      expect([post!.method, post!.url, post!.headers.authorization, get!.url]).toEqual(["POST", "/v1/admin/claims", "Bearer s3cret", "/v1/uploads/u1"]);
      const body = JSON.parse(post!.body);
      const f = await readJson(file);
      expect(body).toEqual({ project: "demo", keys: f.keys, threshold: 2, pages: true, role: f.metadata });
      // What the Worker makes of it: the delegation of the file's patterns, and a role that satisfies it.
      const claim: Claim = { project: body.project, pages: body.pages, keys: Object.values(body.keys).map((k) => Key.fromJSON(k)), threshold: body.threshold };
      const d = claimDelegation(claim);
      expect(d.paths).toEqual(f.paths);
      const keys = Object.fromEntries(claim.keys.map((k) => [k.keyid, k]));
      expect(verifyProjectRole(body.role, { name: d.name, keyids: d.keyids, threshold: d.threshold, keys, paths: d.paths! }, { now: Date.now() }).ok).toBe(true);
      expect(f.pushedVersion).toBe(1);
    }));

  it("a refusal or a rejection is one line with the index's reason", () =>
    withTempDir(async (dir) => {
      const file = await roleFile(dir, ["alice", "bob"]);
      claimAnswer = { status: 409, body: { error: "project-demo overlaps namespace-demo", reason: "overlaps-claim", field: "project" } };
      let r = await runCli(["project", "claim", file, "--url", server.url], ENV);
      expect([r.code, r.stderr]).toEqual([1, "tuf-edge project claim: the index refused the claim (HTTP 409): project-demo overlaps namespace-demo [overlaps-claim, project]"]);
      claimAnswer = { status: 202, body: { id: "u2" } };
      upload = { state: "rejected", rejected: [{ path: "claim", reason: "project-demo is claimed already" }] };
      r = await runCli(["project", "claim", file, "--url", server.url], ENV);
      expect([r.code, r.stderr]).toEqual([1, "tuf-edge project claim: the claim of project-demo was rejected: project-demo is claimed already"]);
      expect((await readJson(file)).pushedVersion).toBe(0);
      expect(JSON.parse(await readFile(file, "utf8")).role).toBe("project-demo");
    }));
});
