import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata } from "../../shared/index.js";

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, "../..");

/**
 * The CLI a key holder carries: `npm run pack:cli` makes a tarball that installs with no network
 * and no repository, and signs a ceremony there.
 */
describe("the packed CLI (npm run pack:cli)", () => {
  let dir: string;
  let tarball: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tuf-edge-pack-"));
    const { stdout } = await run(process.execPath, [join(ROOT, "scripts/pack-cli.mjs")], { cwd: ROOT });
    tarball = stdout.trim().split(" ")[0]!;
  }, 120_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("holds one bundled file, installs offline, and runs a key ceremony away from the repository", async () => {
    const { stdout: listing } = await run("tar", ["-tzf", tarball]);
    expect(listing.trim().split("\n").sort()).toEqual(["package/README.md", "package/package.json", "package/tuf-edge.mjs"]);

    // No registry to reach: an unroutable one, and --offline.
    const env = { PATH: process.env.PATH!, HOME: dir, npm_config_registry: "http://127.0.0.1:9/", npm_config_cache: join(dir, ".npm") };
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--prefix", join(dir, "holder"), tarball], { cwd: dir, env });
    const bin = join(dir, "holder/node_modules/.bin/tuf-edge");
    const cli = (args: string[], extra: Record<string, string> = {}) => run(bin, args, { cwd: dir, env: { ...env, ...extra } });
    const keys = { PASS: "a passphrase of the key holders", TUF_EDGE_INSECURE_TEST_KEYS: "1" };

    expect((await cli(["--version"])).stdout.trim()).toBe(`tuf-edge ${JSON.parse(await readFile(join(ROOT, "cli/package.json"), "utf8")).version}`);
    await cli(["keygen", "--out", "alice.key", "--name", "alice", "--passphrase-env", "PASS"], keys);
    await cli(["keygen", "--out", "bob.key", "--name", "bob", "--passphrase-env", "PASS"], keys);
    await cli(["keygen", "--online", "--out", "online.key"]);
    await cli([
      "ceremony", "init", "--root-key", "alice.key.pub.json", "--root-key", "bob.key.pub.json", "--root-threshold", "2",
      "--targets-key", "alice.key.pub.json", "--targets-threshold", "1", "--online-key", "online.key.pub.json", "--bits", "4", "--out", "c.json",
    ]);
    await cli(["ceremony", "sign", "c.json", "--key", "alice.key", "--passphrase-env", "PASS"], keys);
    const half = await cli(["ceremony", "status", "c.json"]);
    expect(half.stdout).toContain("root v1: its own root keys: 1 signature, 2 needed (1 missing: bob); signed by alice");
    const json = JSON.parse((await cli(["ceremony", "status", "c.json", "--json"])).stdout);
    expect(json).toMatchObject({ kind: "init", complete: false });
    expect(json.signatures[0]).toMatchObject({ role: "root", valid: 1, threshold: 2, missing: 1, signedBy: ["alice"], notYet: ["bob"] });
    const done = await cli(["ceremony", "sign", "c.json", "--key", "bob.key", "--passphrase-env", "PASS"], keys);
    expect(done.stdout).toContain("all thresholds are met");
    expect(done.stdout).toContain("wrote 1.root.json: the signed root");

    const root = Metadata.parse(await readFile(join(dir, "1.root.json")), "root");
    root.verifyDelegate("root", root.signed.roles.root, root.signed.keys);
    expect(root.signed.roles.root.threshold).toBe(2);
  }, 120_000);
});
