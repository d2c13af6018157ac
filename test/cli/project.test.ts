// `tuf-edge project`: a maintainer's role file from init to push, checked by the same function the
// Worker will run on a pushed role (shared/projects/verify.ts).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Key, utf8 } from "../../shared/index.js";
import { type RoleDelegation, checkPushSignature, parsePushAuthorization, verifyProjectRole } from "../../shared/projects/index.js";
import { json, runCli, startServer, withTempDir } from "./helpers.js";

const ENV = { TUF_EDGE_INSECURE_TEST_KEYS: "1", A: "alice's passphrase", B: "bob's passphrase", F: "friend's passphrase" };
const cli = (dir: string, ...args: string[]) => runCli(args.map((a) => (a.includes(".json") || a.endsWith(".key") || a.startsWith("dist/") ? join(dir, a) : a)), ENV);

/** A directory with three keys (alice, bob, friend) and a few release files. */
async function setUp(dir: string) {
  for (const [who, env] of [["alice", "A"], ["bob", "B"], ["friend", "F"]] as const) {
    expect((await cli(dir, "project", "keygen", "--out", `${who}.key`, "--name", who, "--passphrase-env", env)).code).toBe(0);
  }
  await mkdir(join(dir, "dist"));
  for (const name of ["demo-1.0.tar.gz", "demo-1.0-py3-none-any.whl", "demo-1.0-cp312-cp312-win_amd64.whl", "other-1.0.tar.gz"]) {
    await writeFile(join(dir, "dist", name), `bytes of ${name}`);
  }
  const init = await cli(dir, "project", "init", "--project", "Demo", "--key", "alice.key.pub.json", "--key", "bob.key.pub.json", "--threshold", "2", "--out", "demo.role.json");
  expect(init.code).toBe(0);
}

const roleFile = async (dir: string, name = "demo.role.json") => JSON.parse(await readFile(join(dir, name), "utf8"));
/** The delegation the index records for the file's role, as the Worker would look it up. */
function delegationOf(file: any): RoleDelegation {
  return { name: file.role, keyids: Object.keys(file.keys), threshold: file.threshold, paths: file.paths, keys: Object.fromEntries(Object.entries(file.keys).map(([id, k]) => [id, Key.fromJSON(k)])) };
}

describe("tuf-edge project", () => {
  test("init, add, sign in turn (status names who is missing): the Worker's check accepts the result", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      const added = await cli(dir, "project", "add", "demo.role.json", "--file", "dist/demo-1.0.tar.gz", "--file", "dist/demo-1.0-py3-none-any.whl");
      expect(added.code).toBe(0);
      expect(added.stdout).toMatch(/2 files listed/);
      expect(added.stdout).toContain("packages/demo/demo-1.0.tar.gz");
      expect((await cli(dir, "project", "status", "demo.role.json")).stdout).toMatch(/0 of 2 signatures: 2 more needed from alice, bob$/m);
      expect((await cli(dir, "project", "sign", "demo.role.json", "--key", "alice.key", "--passphrase-env", "A")).stdout).toMatch(/1 of 2 signatures: 1 more needed from bob; signed by alice$/m);
      const refused = verifyProjectRole((await roleFile(dir)).metadata, delegationOf(await roleFile(dir)), { now: Date.now() });
      expect(refused.ok ? [] : refused.refusals.map((r) => r.reason)).toEqual(["threshold"]);
      expect((await cli(dir, "project", "sign", "demo.role.json", "--key", "bob.key", "--passphrase-env", "B")).stdout).toMatch(/2 of 2 signatures: complete, ready to push/);
      const file = await roleFile(dir);
      expect(verifyProjectRole(file.metadata, delegationOf(file), { now: Date.now() }).ok).toBe(true);
      // A change after signing drops the signatures: they were over the old bytes.
      await cli(dir, "project", "remove", "demo.role.json", "--path", "packages/demo/demo-1.0.tar.gz");
      expect((await cli(dir, "project", "status", "demo.role.json")).stdout).toMatch(/0 of 2 signatures/);
    }));

  test("refuses, in one line: another project's file, a key that is not the role's, a delegation outside the project", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      const other = await cli(dir, "project", "add", "demo.role.json", "--file", "dist/other-1.0.tar.gz");
      expect([other.code, other.stderr.split("\n").length]).toEqual([1, 1]);
      expect(other.stderr).toMatch(/^tuf-edge project add: packages\/demo\/other-1.0.tar.gz is not covered by project-demo/);
      const friend = await cli(dir, "project", "sign", "demo.role.json", "--key", "friend.key", "--passphrase-env", "F");
      expect([friend.code, friend.stderr]).toEqual([1, expect.stringMatching(/^tuf-edge project sign: key [0-9a-f]{64} \(.*friend.key\) is not one of the keys that sign project-demo$/)]);
      const outside = await cli(dir, "project", "delegate", "demo.role.json", "--name", "x", "--files", "other-*", "--key", "friend.key.pub.json", "--out", "x.role.json");
      expect([outside.code, outside.stderr]).toEqual([1, expect.stringMatching(/^tuf-edge project delegate: other-\* is not within the role's patterns/)]);
      const unknown = await cli(dir, "project", "frobnicate");
      expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringMatching(/unknown step "frobnicate"/)]);
    }));

  test("the friend: a delegation for *-win*.whl; the friend's role lists a Windows wheel, not the sdist", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      const d = await cli(dir, "project", "delegate", "demo.role.json", "--name", "win", "--files", "*-win*.whl", "--key", "friend.key.pub.json", "--out", "win.role.json");
      expect(d.code).toBe(0);
      expect(d.stdout).toContain("delegates to project-demo.win: 1 of");
      expect((await cli(dir, "project", "add", "win.role.json", "--file", "dist/demo-1.0.tar.gz")).code).toBe(1);
      expect((await cli(dir, "project", "add", "win.role.json", "--pypi", "--file", "dist/demo-1.0-cp312-cp312-win_amd64.whl")).stdout).toMatch(/packages\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{60}\/demo-1.0-cp312-cp312-win_amd64.whl/);
      expect((await cli(dir, "project", "sign", "win.role.json", "--key", "friend.key", "--passphrase-env", "F")).stdout).toMatch(/complete, ready to push/);
      // The friend's role satisfies the delegation written into demo's role.
      const demo = await roleFile(dir);
      const delegated = demo.metadata.signed.delegations.roles[0];
      const win = await roleFile(dir, "win.role.json");
      expect(win.paths).toEqual(delegated.paths);
      expect(verifyProjectRole(win.metadata, { ...delegationOf(win), keyids: delegated.keyids, threshold: delegated.threshold }, { now: Date.now() }).ok).toBe(true);
    }));

  test("a PEP 752 namespace: one role for every azure-* project", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      const init = await cli(dir, "project", "init", "--project", "azure", "--namespace", "--key", "alice.key.pub.json", "--threshold", "1", "--out", "azure.role.json");
      expect(init.stdout).toContain("covers: packages/*/azure_*  packages/*/*/*/azure_*");
      await writeFile(join(dir, "dist", "azure_storage_blob-12.0-py3-none-any.whl"), "wheel");
      expect((await cli(dir, "project", "add", "azure.role.json", "--dir", "packages/x", "--file", "dist/azure_storage_blob-12.0-py3-none-any.whl")).code).toBe(0);
      expect((await roleFile(dir, "azure.role.json")).role).toBe("namespace-azure");
    }));

  test("status reminds before expiry, and --min-valid fails for a scheduled check", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      await cli(dir, "project", "renew", "demo.role.json", "--expires", "10d");
      const status = await cli(dir, "project", "status", "demo.role.json");
      expect([status.code, status.stdout]).toEqual([0, expect.stringMatching(/renew soon: expires in 9d 23h/)]);
      const strict = await cli(dir, "project", "status", "demo.role.json", "--min-valid", "30d");
      expect([strict.code, strict.stderr]).toEqual([1, expect.stringMatching(/^tuf-edge project status: project-demo expires in 9d 23h, sooner than --min-valid 30d$/)]);
      expect((await cli(dir, "project", "status", "demo.role.json", "--min-valid", "5d")).code).toBe(0);
    }));
});

describe("tuf-edge project push", () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let answer = { status: 202, body: { published: true } as unknown };
  beforeAll(async () => {
    server = await startServer((_req, res) => json(res, answer.status, answer.body));
  });
  afterAll(() => server.close());

  test("sends the signed role, authenticated by a maintainer's key; then the next change is a new version", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      await cli(dir, "project", "add", "demo.role.json", "--file", "dist/demo-1.0.tar.gz");
      const early = await cli(dir, "project", "push", "demo.role.json", "--key", "alice.key", "--passphrase-env", "A", "--url", server.url);
      expect([early.code, early.stderr]).toEqual([1, expect.stringMatching(/has 0 of the 2 signatures it needs \(missing: alice, bob\)/)]);
      expect(server.requests).toHaveLength(0);
      await cli(dir, "project", "sign", "demo.role.json", "--key", "alice.key", "--passphrase-env", "A");
      await cli(dir, "project", "sign", "demo.role.json", "--key", "bob.key", "--passphrase-env", "B");
      const pushed = await cli(dir, "project", "push", "demo.role.json", "--key", "bob.key", "--passphrase-env", "B", "--url", server.url);
      expect(pushed.code).toBe(0);
      const req = server.requests.at(-1)!;
      expect([req.method, req.url]).toEqual(["POST", "/v1/projects/demo/role"]);
      const file = await roleFile(dir);
      const keys = delegationOf(file).keys;
      const auth = parsePushAuthorization(req.headers.authorization as string, keys, Date.now());
      expect(() => checkPushSignature(auth, "demo", utf8(req.body))).not.toThrow();
      expect(() => checkPushSignature(auth, "other", utf8(req.body))).toThrow(/does not verify/);
      const body = JSON.parse(req.body);
      expect(body.role).toBe("project-demo");
      expect(verifyProjectRole(body.metadata, delegationOf(file), { now: Date.now() }).ok).toBe(true);
      expect(file.pushedVersion).toBe(1);
      expect((await cli(dir, "project", "push", "demo.role.json", "--key", "bob.key", "--passphrase-env", "B", "--url", server.url)).stderr).toMatch(/v1 was pushed already/);
      await cli(dir, "project", "add", "demo.role.json", "--file", "dist/demo-1.0-py3-none-any.whl");
      expect((await roleFile(dir)).metadata.signed.version).toBe(2);
    }));

  test("a refusal from the index is one line with its reason", () =>
    withTempDir(async (dir) => {
      await setUp(dir);
      await cli(dir, "project", "sign", "demo.role.json", "--key", "alice.key", "--passphrase-env", "A");
      await cli(dir, "project", "sign", "demo.role.json", "--key", "bob.key", "--passphrase-env", "B");
      answer = { status: 400, body: { error: "version: project-demo version 1 is not higher than the published 3", reason: "version" } };
      const r = await cli(dir, "project", "push", "demo.role.json", "--key", "bob.key", "--passphrase-env", "B", "--url", server.url);
      expect([r.code, r.stderr.split("\n")]).toEqual([1, [expect.stringMatching(/answered HTTP 400: version: project-demo version 1 is not higher than the published 3/)]]);
      expect((await roleFile(dir)).pushedVersion).toBe(0);
    }));
});
