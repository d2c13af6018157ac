// PEP 480 through the CLI, against the Worker in workerd: a repository bootstrapped in today's
// layout moves at `ceremony layout`; the operator claims a project from its maintainers' signed role
// file (`project claim`); `ceremony claims` moves the claim into claimed. Checked in the published
// metadata, by tuf-js, and by `tuf-edge verify`. (test/worker/project-roles.test.ts drives the same
// flow through the HTTP API.)
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ed25519Signer, randomSeed } from "../../shared/keys.js";
import { CLAIMED, RECENTLY_CLAIMED, UNCLAIMED } from "../../shared/projects/index.js";
import { TEST_SCRYPT, encryptSeed, publicKeyJSON } from "../../scripts/lib/keyfile.js";
import { bootstrap, offlineKeys } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { metadataJson } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { PASSPHRASES } from "./fixtures.js";
import { runCli } from "./helpers.js";

const SDIST = "demo-1.0.tar.gz";
const WHEEL = "demo-1.0-py3-none-any.whl";

describe("PEP 480 with the CLI, against the Worker", () => {
  let w: TestWorker;
  let dir: string;
  let rootBytes: Uint8Array;
  let env: Record<string, string>;
  const at = (name: string) => join(dir, name);
  const cli = async (...args: string[]) => {
    const r = await runCli(args, env);
    expect(r.code, `tuf-edge ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r;
  };
  const snapshot = async () => {
    const ts = await metadataJson(w, "timestamp.json");
    return metadataJson(w, `${ts.signed.meta["snapshot.json"].version}.snapshot.json`);
  };
  const role = async (name: string) => metadataJson(w, `${(await snapshot()).signed.meta[`${name}.json`].version}.${name}.json`);

  beforeAll(async () => {
    w = await startWorker({ vars: { SIMPLE_PAGES: "index" } });
    dir = await mkdtemp(join(tmpdir(), "tuf-edge-pep480-"));
    // The targets key as a key file, so that `ceremony sign` signs with it.
    const seed = randomSeed();
    const keys = { ...(await offlineKeys()), targets: [await ed25519Signer(seed)] };
    await writeFile(at("targets.key"), JSON.stringify({ ...(await encryptSeed(seed, PASSPHRASES.PASS, TEST_SCRYPT)), name: "dave" }));
    await writeFile(at("targets.key.pub.json"), publicKeyJSON(keys.targets[0]!.key, "dave"));
    rootBytes = (await bootstrap(w, 4, keys)).rootBytes;
    await writeFile(at("1.root.json"), rootBytes);
    env = { ...PASSPHRASES, A: "alice's passphrase", B: "bob's passphrase", C: "carol's passphrase", ADMIN_TOKEN: w.secrets.ADMIN_TOKEN, TUF_EDGE_URL: w.url };
    // The release files, on the file host where the index serves them (index mode checks the bytes there).
    await mkdir(at("dist"));
    for (const name of [SDIST, WHEEL]) {
      await writeFile(at(`dist/${name}`), `bytes of ${name}`);
      await (await w.packages()).put(`packages/demo/${name}`, `bytes of ${name}`);
    }
  }, 180_000);
  afterAll(async () => {
    await w?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test("ceremony layout, sign, targets --wait: targets v2 delegates to claimed, recently-claimed, unclaimed", async () => {
    const made = await cli("ceremony", "layout", "--trusted-root", at("1.root.json"), "--out", at("layout.json"));
    expect(made.stdout).toContain("claimed v1: the keys targets v2 delegates it to: 0 signatures, 1 needed (1 missing: key");
    expect((await cli("ceremony", "sign", at("layout.json"), "--key", at("targets.key"), "--passphrase-env", "PASS")).stdout).toMatch(/^signed targets v2, claimed v1 and unclaimed v1 with key/m);
    const published = await cli("targets", "--file", at("layout.json"), "--wait");
    expect(published.stdout).toMatch(/^done: targets v2, claimed v1 and unclaimed v1 published/m);
    const meta = (await snapshot()).signed.meta;
    for (const name of [CLAIMED, RECENTLY_CLAIMED, UNCLAIMED]) expect(meta[`${name}.json`]).toEqual({ version: 1 });
    // Again: the repository has moved.
    const again = await runCli(["ceremony", "layout", "--trusted-root", at("1.root.json"), "--out", at("layout-2.json")], env);
    expect([again.code, again.stderr]).toEqual([1, "tuf-edge ceremony layout: targets v2 is in PEP 480's layout already (it delegates to claimed, recently-claimed and unclaimed)"]);
  }, 120_000);

  test("project init, add, sign; project claim publishes it into recently-claimed; a second claim is refused in one line", async () => {
    for (const [who, pass] of [["alice", "A"], ["bob", "B"]]) await cli("project", "keygen", "--out", at(`${who}.key`), "--name", who!, "--passphrase-env", pass!);
    await cli("project", "init", "--project", "demo", "--key", at("alice.key.pub.json"), "--key", at("bob.key.pub.json"), "--threshold", "2", "--out", at("demo.role.json"));
    await cli("project", "add", at("demo.role.json"), "--file", at(`dist/${SDIST}`));
    await cli("project", "sign", at("demo.role.json"), "--key", at("alice.key"), "--passphrase-env", "A");
    await cli("project", "sign", at("demo.role.json"), "--key", at("bob.key"), "--passphrase-env", "B");
    const claimed = await cli("project", "claim", at("demo.role.json"));
    expect(claimed.stdout).toMatch(/^published: project-demo v1 is claimed/m);
    const file = JSON.parse(await readFile(at("demo.role.json"), "utf8"));
    expect((await role(RECENTLY_CLAIMED)).signed.delegations.roles).toEqual([
      { name: "project-demo", keyids: Object.keys(file.keys), threshold: 2, terminating: true, paths: file.paths },
    ]);
    const again = await runCli(["project", "claim", at("demo.role.json")], env);
    expect([again.code, again.stderr.split("\n").length]).toEqual([1, 1]);
    expect(again.stderr).toMatch(/^tuf-edge project claim: the index refused the claim \(HTTP 409\): .*project-demo/);
  }, 120_000);

  test("ceremony claims, sign, targets --wait: the claim sits unchanged under claimed → part; recently-claimed is empty; clients resolve the file", async () => {
    const recent = (await role(RECENTLY_CLAIMED)).signed.delegations.roles;
    const made = await cli("ceremony", "claims", "--trusted-root", at("1.root.json"), "--out", at("claims.json"));
    expect(made.stdout).toContain("claims: 0 in claimed already; 1 move in from recently-claimed (project-demo)");
    await cli("ceremony", "sign", at("claims.json"), "--key", at("targets.key"), "--passphrase-env", "PASS");
    expect((await cli("targets", "--file", at("claims.json"), "--wait")).stdout).toMatch(/^done: claimed v2 and 1 part of claimed published/m);

    expect((await role(RECENTLY_CLAIMED)).signed.delegations.roles).toEqual([]);
    const parts = (await role(CLAIMED)).signed.delegations.roles;
    expect(parts.map((p: { name: string }) => p.name)).toEqual(["claimed-all"]);
    expect((await role("claimed-all")).signed.delegations.roles).toEqual(recent);
    const client = new TufClient(w.url, rootBytes);
    try {
      expect((await client.download(`packages/demo/${SDIST}`)).toString()).toBe(`bytes of ${SDIST}`);
    } finally {
      client.close();
    }
    // The top-level roles, claimed, recently-claimed, unclaimed and every bin, by the spec's client.
    const verified = await cli("verify", "--root", at("1.root.json"));
    expect(verified.stdout).toMatch(/^claimed +v2 /m);
    expect(verified.stdout).toMatch(/^OK: /m);
  }, 180_000);

  test("the maintainers go on publishing through claimed: v2 pushed, resolved by tuf-js; a second claims ceremony renews claimed", async () => {
    await cli("project", "add", at("demo.role.json"), "--file", at(`dist/${WHEEL}`));
    await cli("project", "sign", at("demo.role.json"), "--key", at("alice.key"), "--passphrase-env", "A");
    await cli("project", "sign", at("demo.role.json"), "--key", at("bob.key"), "--passphrase-env", "B");
    const pushed = await cli("project", "push", at("demo.role.json"), "--key", at("bob.key"), "--passphrase-env", "B");
    const { id } = JSON.parse(pushed.stdout);
    for (let i = 0; ; i++) {
      const state = (await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as { state: string };
      if (state.state !== "queued") {
        expect(state.state).toBe("published");
        break;
      }
      if (i > 600) throw new Error("the push was not decided");
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = new TufClient(w.url, rootBytes);
    try {
      expect((await client.download(`packages/demo/${WHEEL}`)).toString()).toBe(`bytes of ${WHEEL}`);
    } finally {
      client.close();
    }
    const made = await cli("ceremony", "claims", "--trusted-root", at("1.root.json"), "--out", at("claims-2.json"));
    expect(made.stdout).toContain("claims: 1 in claimed already; 0 move in from recently-claimed");
    // Its one part holds the same claims and stays valid long enough: left as published, not resubmitted.
    expect(made.stdout).toContain("delegates to claimed-all");
    expect(made.stdout).not.toContain("claimed-all v2:");
  }, 120_000);

  test("project rekey, ceremony claims --rekey, targets --role: carol replaces alice and bob; their keys no longer push", async () => {
    await cli("project", "keygen", "--out", at("carol.key"), "--name", "carol", "--passphrase-env", "C");
    const before = JSON.parse(await readFile(at("demo.role.json"), "utf8"));
    await cli("project", "rekey", at("demo.role.json"), "--key", at("carol.key.pub.json"), "--threshold", "1");
    await cli("project", "sign", at("demo.role.json"), "--key", at("carol.key"), "--passphrase-env", "C");
    // While claimed holds the claim, --replace is refused: a ceremony changes it.
    const replace = await runCli(["project", "claim", at("demo.role.json"), "--replace"], env);
    expect([replace.code, replace.stderr]).toEqual([1, expect.stringContaining("claims ceremony")]);
    await cli("ceremony", "claims", "--trusted-root", at("1.root.json"), "--rekey", at("demo.role.json"), "--out", at("claims-3.json"));
    await cli("ceremony", "sign", at("claims-3.json"), "--key", at("targets.key"), "--passphrase-env", "PASS");
    // Without the role signed by the new key, the index refuses the ceremony, naming the role.
    const bare = await runCli(["targets", "--file", at("claims-3.json"), "--wait"], env);
    expect([bare.code, bare.stderr]).toEqual([1, expect.stringContaining("roles.project-demo")]);
    await cli("targets", "--file", at("claims-3.json"), "--role", at("demo.role.json"), "--wait");
    expect((await role("project-demo")).signed.version).toBe(before.metadata.signed.version + 1);
    const client = new TufClient(w.url, rootBytes);
    try {
      expect((await client.download(`packages/demo/${WHEEL}`)).toString()).toBe(`bytes of ${WHEEL}`);
    } finally {
      client.close();
    }
    // alice's copy of the old role file, with her key: the index no longer takes it.
    await writeFile(at("old.role.json"), JSON.stringify({ ...before, pushedVersion: before.metadata.signed.version }));
    await cli("project", "renew", at("old.role.json"));
    await cli("project", "sign", at("old.role.json"), "--key", at("alice.key"), "--passphrase-env", "A");
    await cli("project", "sign", at("old.role.json"), "--key", at("bob.key"), "--passphrase-env", "B");
    const old = await runCli(["project", "push", at("old.role.json"), "--key", at("alice.key"), "--passphrase-env", "A"], env);
    expect(old.code).toBe(1);
  }, 180_000);
});
