// The checks the Worker runs on a pushed project role (shared/projects/verify.ts): each refusal
// names its reason and the offending field or path.
import { beforeAll, describe, expect, test } from "vitest";
import { DelegatedRole, Delegations, Metadata, type Signer, SuccinctRoles, Targets } from "../../shared/index.js";
import {
  type RoleDelegation, claimDelegation, claimPatterns, claimsRole, delegationIn, parentRoleOf, projectBins, subPatterns, verifyProjectRole,
} from "../../shared/projects/index.js";
import { DAY, NOW, newSigner } from "./fixtures.js";
import { fileFor } from "../support/project-repo.js";

const DIR = "packages/ab/cd/0123";
let alice: Signer, bob: Signer, carol: Signer, friend: Signer;
let demo: RoleDelegation;

beforeAll(async () => {
  [alice, bob, carol, friend] = await Promise.all([newSigner(), newSigner(), newSigner(), newSigner()]);
  const d = claimDelegation({ project: "demo", keys: [alice.key, bob.key, carol.key], threshold: 2 });
  demo = { name: d.name, keyids: d.keyids, threshold: d.threshold, paths: d.paths!, keys: Object.fromEntries([alice, bob, carol].map((s) => [s.key.keyid, s.key])) };
});

const role = (f: { version?: number; expires?: number; paths?: string[]; delegations?: Delegations } = {}) =>
  new Targets({
    version: f.version ?? 2,
    expires: f.expires ?? NOW + 180 * DAY,
    targets: new Map((f.paths ?? [`${DIR}/demo-1.0.tar.gz`]).map((p) => [p, fileFor(p)])),
    delegations: f.delegations,
  });
const pushed = async (t: Targets, ...signers: Signer[]) => JSON.parse((await new Metadata(t).sign(signers)).toString());
const reasons = (v: ReturnType<typeof verifyProjectRole>) => (v.ok ? [] : v.refusals.map((r) => [r.reason, r.subject]));

describe("a pushed project role", () => {
  test("is accepted with a threshold of the delegated keys, a higher version, a sane expiry, its targets in its patterns", async () => {
    const v = verifyProjectRole(await pushed(role(), alice, carol), demo, { now: NOW, currentVersion: 1 });
    expect(v.ok).toBe(true);
    expect(v.ok && v.role.signed.version).toBe(2);
  });

  test("below the threshold, or signed by keys not delegated (the online key): threshold", async () => {
    const online = await newSigner();
    expect(reasons(verifyProjectRole(await pushed(role(), alice), demo, { now: NOW }))).toEqual([["threshold", "signatures"]]);
    expect(reasons(verifyProjectRole(await pushed(role(), online, friend), demo, { now: NOW }))).toEqual([["threshold", "signatures"]]);
  });

  test("not a strictly higher version: version", async () => {
    expect(reasons(verifyProjectRole(await pushed(role({ version: 3 }), alice, bob), demo, { now: NOW, currentVersion: 3 }))).toEqual([["version", "signed.version"]]);
    expect(reasons(verifyProjectRole(await pushed(role({ version: 2 }), alice, bob), demo, { now: NOW, currentVersion: 3 }))).toEqual([["version", "signed.version"]]);
  });

  test("expired, or expiring absurdly far ahead", async () => {
    expect(reasons(verifyProjectRole(await pushed(role({ expires: NOW }), alice, bob), demo, { now: NOW }))).toEqual([["expired", "signed.expires"]]);
    expect(reasons(verifyProjectRole(await pushed(role({ expires: NOW + 5 * 365 * DAY }), alice, bob), demo, { now: NOW }))).toEqual([["expires-too-far", "signed.expires"]]);
    expect(verifyProjectRole(await pushed(role({ expires: NOW + 365 * DAY }), alice, bob), demo, { now: NOW }).ok).toBe(true);
  });

  test("a target outside its patterns (another project's file, a page it does not sign, another depth)", async () => {
    const outside = [`${DIR}/other-1.0.tar.gz`, "simple/demo/vnd.pypi.simple.v1.json", "packages/ab/cd/demo-1.0.tar.gz"];
    const v = verifyProjectRole(await pushed(role({ paths: [`${DIR}/demo-1.0.tar.gz`, ...outside] }), alice, bob), demo, { now: NOW });
    expect(reasons(v)).toEqual(outside.sort().map((p) => ["target-outside-patterns", p]));
  });

  test("several problems at once are all named", async () => {
    const v = verifyProjectRole(await pushed(role({ version: 1, expires: NOW - DAY, paths: [`${DIR}/x-1.tar.gz`] }), alice), demo, { now: NOW, currentVersion: 1 });
    expect(reasons(v).map(([r]) => r)).toEqual(["threshold", "version", "expired", "target-outside-patterns"]);
  });

  test("not targets metadata: malformed", () => {
    expect(reasons(verifyProjectRole({ signed: { _type: "root" }, signatures: [] }, demo, { now: NOW }))[0]![0]).toBe("malformed");
    expect(reasons(verifyProjectRole("nope", demo, { now: NOW }))[0]![0]).toBe("malformed");
  });
});

describe("a project role's own delegations", () => {
  const friendRole = (name: string, paths: string[]) =>
    new Delegations({ [friend.key.keyid]: friend.key }, [new DelegatedRole(name, [friend.key.keyid], 1, true, paths)]);

  test("the friend's sub-pattern, named under the project: accepted", async () => {
    const delegations = friendRole("project-demo.win", subPatterns(demo.paths, "*-win*.whl"));
    expect(verifyProjectRole(await pushed(role({ delegations }), alice, bob), demo, { now: NOW }).ok).toBe(true);
  });

  test("a pattern outside the project's: delegation-outside-patterns", async () => {
    const delegations = friendRole("project-demo.win", [`packages/*/*/*/other-*`]);
    expect(reasons(verifyProjectRole(await pushed(role({ delegations }), alice, bob), demo, { now: NOW }))).toEqual([["delegation-outside-patterns", "packages/*/*/*/other-*"]]);
    const braces = friendRole("project-demo.win", [`packages/*/*/*/demo-*{win,mac}*`]);
    expect(reasons(verifyProjectRole(await pushed(role({ delegations: braces }), alice, bob), demo, { now: NOW }))[0]![0]).toBe("delegation-outside-patterns");
  });

  test("a sub-role delegated by path hash prefixes: refused (project roles delegate by file name)", async () => {
    const delegations = new Delegations({ [friend.key.keyid]: friend.key }, [new DelegatedRole("project-demo.h", [friend.key.keyid], 1, true, undefined, ["0"])]);
    expect(reasons(verifyProjectRole(await pushed(role({ delegations }), alice, bob), demo, { now: NOW }))).toEqual([["delegation-outside-patterns", "project-demo.h"]]);
  });

  test("a role name outside the project's (a bin's, another project's): role-name", async () => {
    for (const name of ["bins-0001", "project-other", "claimed", "project-demox.win"]) {
      const delegations = friendRole(name, subPatterns(demo.paths, "*-win*.whl"));
      expect(reasons(verifyProjectRole(await pushed(role({ delegations }), alice, bob), demo, { now: NOW }))).toEqual([["role-name", name]]);
    }
  });

  test("the project's own bins: named under it, and each bin holds only its own paths", async () => {
    const bins = projectBins("demo", [alice.key], 1, 2);
    expect(verifyProjectRole(await pushed(role({ delegations: bins }), alice, bob), demo, { now: NOW }).ok).toBe(true);
    const binsDelegation = bins.succinctRoles!;
    const paths = Array.from({ length: 12 }, (_, i) => `${DIR}/demo-1.${i}.tar.gz`);
    const name = binsDelegation.binFor(paths[0]!);
    const bin: RoleDelegation = { name, keyids: binsDelegation.keyids, threshold: 1, keys: bins.keys, paths: demo.paths, bins: binsDelegation };
    const mine = paths.filter((p) => binsDelegation.binFor(p) === name);
    expect(verifyProjectRole(await pushed(role({ paths: mine }), alice), bin, { now: NOW }).ok).toBe(true);
    const stray = paths.find((p) => binsDelegation.binFor(p) !== name)!;
    expect(reasons(verifyProjectRole(await pushed(role({ paths: [...mine, stray] }), alice), bin, { now: NOW }))).toEqual([["target-outside-patterns", stray]]);
    const wrongPrefix = new Delegations(bins.keys, undefined, new SuccinctRoles(binsDelegation.keyids, 1, 2, "bins"));
    expect(reasons(verifyProjectRole(await pushed(role({ delegations: wrongPrefix }), alice, bob), demo, { now: NOW }))[0]![0]).toBe("role-name");
  });

  test("the friend's own role: only files within the friend's pattern", async () => {
    const win = subPatterns(claimPatterns({ project: "demo" }), "*-win*.whl");
    const friendDelegation: RoleDelegation = { name: "project-demo.win", keyids: [friend.key.keyid], threshold: 1, keys: { [friend.key.keyid]: friend.key }, paths: win };
    const ok = `${DIR}/demo-1.0-cp312-cp312-win_amd64.whl`;
    const linux = `${DIR}/demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl`;
    expect(verifyProjectRole(await pushed(role({ paths: [ok] }), friend), friendDelegation, { now: NOW }).ok).toBe(true);
    expect(reasons(verifyProjectRole(await pushed(role({ paths: [ok, linux] }), friend), friendDelegation, { now: NOW }))).toEqual([["target-outside-patterns", linux]]);
  });
});

describe("finding the delegation a pushed role answers to", () => {
  test("a claim in a claims role, the friend in the project's role, a bin of the project's", async () => {
    expect([parentRoleOf("project-demo"), parentRoleOf("project-demo.win"), parentRoleOf("project-demo.win.bins-3")]).toEqual([null, "project-demo", "project-demo.win"]);
    const recent = claimsRole([{ project: "demo", keys: [alice.key, bob.key, carol.key], threshold: 2 }], 1, NOW + DAY);
    const found = delegationIn(recent, "project-demo", [])!;
    expect([found.threshold, found.paths]).toEqual([2, demo.paths]);
    expect(verifyProjectRole(await pushed(role(), alice, bob), found, { now: NOW }).ok).toBe(true);
    expect(delegationIn(recent, "project-other", [])).toBeNull();

    const win = subPatterns(demo.paths, "*-win*.whl");
    const demoRole = role({ delegations: new Delegations({ [friend.key.keyid]: friend.key }, [new DelegatedRole("project-demo.win", [friend.key.keyid], 1, true, win)]) });
    const friendDelegation = delegationIn(demoRole, "project-demo.win", demo.paths)!;
    const wheel = `${DIR}/demo-1.0-cp312-cp312-win_amd64.whl`;
    expect(verifyProjectRole(await pushed(role({ paths: [wheel] }), friend), friendDelegation, { now: NOW }).ok).toBe(true);
    expect(verifyProjectRole(await pushed(role({ paths: [wheel] }), alice), friendDelegation, { now: NOW }).ok).toBe(false);

    const withBins = role({ delegations: projectBins("demo", [alice.key], 1, 2) });
    const bin = delegationIn(withBins, "project-demo.bins-1", demo.paths)!;
    expect([bin.bins?.bitLength, bin.paths]).toEqual([2, demo.paths]);
    expect(delegationIn(withBins, "project-demo.bins-7", demo.paths)).toBeNull();
  });
});
