import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Metadata as TufMetadata, MetadataKind } from "@tufjs/models";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Key, Metadata, TrustedMetadata } from "../../shared/index.js";
import { PASSPHRASES, extractEnvelope, initCeremony, keygen, pub, readJson, sign } from "./fixtures.js";
import { runCli, withTempDir } from "./helpers.js";

const keyidOf = async (keyFile: string) => Key.fromJSON(await readJson(pub(keyFile))).keyid;

describe("tuf-edge ceremony", () => {
  let dir: string;
  let keys: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tuf-edge-ceremony-"));
    keys = await keygen(dir, "root1", "root2", "root3", "root4", "targets1", "online1", "online2", "stranger");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("init + sign by 2 of 3 root holders: signatures verify with shared/ and @tufjs/models, missing counts printed", async () => {
    const { file, init } = await initCeremony(dir, keys, []);
    expect(init.stdout).toContain("root v1: its own root keys: 0 signatures, 2 needed (2 missing: any of root1, root2, root3)");
    expect(init.stdout).toContain("targets v1: the targets keys of root v1: 0 signatures, 1 needed (1 missing: targets1)");

    const first = await sign(file, keys.root1!);
    expect(first.stdout).toContain("signed root v1 with key");
    expect(first.stdout).toContain("root v1: its own root keys: 1 signature, 2 needed (1 missing: any of root2, root3); signed by root1");
    expect(first.stdout).toContain("more signatures are needed");
    const second = await sign(file, keys.root2!);
    expect(second.stdout).toContain("root v1: its own root keys: 2 signatures, 2 needed (complete); signed by root1, root2");
    expect(second.stdout).toContain("targets v1: the targets keys of root v1: 0 signatures, 1 needed (1 missing: targets1)");
    const third = await sign(file, keys.targets1!);
    expect(third.stdout).toContain("signed targets v1");
    expect(third.stdout).toContain("all thresholds are met");
    // The trust anchor, written out once complete: what `verify --root` takes.
    expect(third.stdout).toContain(`wrote ${join(dir, "1.root.json")}`);
    expect(Metadata.parse(await readFile(join(dir, "1.root.json")), "root").signed.version).toBe(1);

    const json = await readJson(file);
    expect(json.format).toBe("tuf-edge-ceremony/1");
    expect(json.kind).toBe("init");

    // shared/
    const root = Metadata.fromJSON(json.root, "root");
    const targets = Metadata.fromJSON(json.targets, "targets");
    const r = root.signed;
    root.verifyDelegate("root", r.roles.root, r.keys);
    targets.verifyDelegate("targets", r.roles.targets, r.keys);
    expect(root.validSigners(r.roles.root, r.keys).sort()).toEqual([await keyidOf(keys.root1!), await keyidOf(keys.root2!)].sort());
    expect(new TrustedMetadata(root.toBytes(), Date.now()).root.signed.version).toBe(1);
    const online = await keyidOf(keys.online1!);
    expect(r.version).toBe(1);
    expect(r.consistentSnapshot).toBe(true);
    expect(r.roles.timestamp.keyids).toEqual([online]);
    expect(r.roles.snapshot.keyids).toEqual([online]);
    expect(r.roles.root.keyids).not.toContain(online);
    expect(targets.signed.targets.size).toBe(0);
    expect(targets.signed.delegations?.succinctRoles?.toJSON()).toEqual({ keyids: [online], threshold: 1, bit_length: 14, name_prefix: "bins" });

    // @tufjs/models, what installers run
    const tufRoot = TufMetadata.fromJSON(MetadataKind.Root, json.root);
    const tufTargets = TufMetadata.fromJSON(MetadataKind.Targets, json.targets);
    expect(() => tufRoot.verifyDelegate(MetadataKind.Root, tufRoot)).not.toThrow();
    expect(() => tufRoot.verifyDelegate(MetadataKind.Targets, tufTargets)).not.toThrow();
    expect(tufTargets.signed.delegations?.succinctRoles?.getRoleForTarget("packages/x.whl")).toMatch(/^bins-[0-9a-f]{4}$/);

    // A key that is not part of the ceremony is refused before its passphrase is asked for.
    const stranger = await runCli(["ceremony", "sign", file, "--key", keys.stranger!], {});
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain("is not one of the keys that sign");
    // More than the threshold is fine, and counted as such.
    expect((await sign(file, keys.root3!)).stdout).toContain("root v1: its own root keys: 3 signatures, 2 needed (complete); signed by root1, root2, root3");
  });

  it("rotate: root N+1 with new root and online keys, signed by old and new thresholds; targets follows the online key", async () => {
    const { file: init } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    const root1 = await extractEnvelope(init, "root", join(dir, "1.root.json"));
    const targets1 = await extractEnvelope(init, "targets", join(dir, "1.targets.json"));
    const file = join(dir, "rotate.json");
    const args = [
      "ceremony", "rotate", "--from-root", root1, "--remove-root-key", pub(keys.root3!), "--add-root-key", pub(keys.root4!),
      "--online-key", pub(keys.online2!), "--out", file,
    ];
    const noTargets = await runCli(args);
    expect(noTargets.code).toBe(2);
    expect(noTargets.stderr).toContain("--from-targets");

    const made = await runCli([...args, "--from-targets", targets1]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/root v2: the root keys of v1: 0 signatures, 2 needed \(2 missing: any of key \w{8}, key \w{8}, key \w{8}\); its own root keys: 0 signatures, 2 needed \(2 missing: any of key \w{8}, key \w{8}, root4\)/);
    expect(made.stdout).toMatch(/targets v2: the targets keys of root v2: 0 signatures, 1 needed \(1 missing: key \w{8}\)/);

    const afterRoot4 = await sign(file, keys.root4!); // only a new root key
    expect(afterRoot4.stdout).toMatch(/the root keys of v1: 0 signatures, 2 needed \(2 missing: .*\); its own root keys: 1 signature, 2 needed \(1 missing: .*\); signed by root4/);
    await sign(file, keys.root1!); // in both
    const afterRoot3 = await sign(file, keys.root3!); // only an old root key
    expect(afterRoot3.stdout).toMatch(/the root keys of v1: 2 signatures, 2 needed \(complete\); signed by .*; its own root keys: 2 signatures, 2 needed \(complete\)/);
    await sign(file, keys.targets1!);

    const json = await readJson(file);
    const root2 = Metadata.fromJSON(json.root, "root");
    const online2 = await keyidOf(keys.online2!);
    expect(root2.signed.version).toBe(2);
    expect(root2.signed.roles.timestamp.keyids).toEqual([online2]);
    expect(Object.keys(root2.signed.keys)).not.toContain(await keyidOf(keys.online1!));
    expect(Object.keys(root2.signed.keys)).not.toContain(await keyidOf(keys.root3!));
    const targets2 = Metadata.fromJSON(json.targets, "targets");
    expect(targets2.signed.version).toBe(2);
    expect(targets2.signed.delegations?.succinctRoles?.keyids).toEqual([online2]);
    expect(Object.keys(targets2.signed.delegations!.keys)).toEqual([online2]);

    // A client moves from root 1 to root 2 (spec §5.3), in shared/ and in @tufjs/models.
    const trusted = new TrustedMetadata(await readFile(root1), Date.now());
    expect(trusted.updateRoot(Metadata.fromJSON(json.root, "root").toBytes()).signed.version).toBe(2);
    const tufOld = TufMetadata.fromJSON(MetadataKind.Root, await readJson(root1));
    const tufNew = TufMetadata.fromJSON(MetadataKind.Root, json.root);
    expect(() => tufOld.verifyDelegate(MetadataKind.Root, tufNew)).not.toThrow();
    expect(() => tufNew.verifyDelegate(MetadataKind.Root, tufNew)).not.toThrow();
    expect(() => tufNew.verifyDelegate(MetadataKind.Targets, TufMetadata.fromJSON(MetadataKind.Targets, json.targets))).not.toThrow();

    // Complete: `rotate` would send it. A rotate file is not a bootstrap file.
    const wrongKind = await runCli(["bootstrap", "--url", "http://127.0.0.1:9", "--file", file], { ADMIN_TOKEN: "t" });
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain("is a rotate ceremony");
  });

  it("signing with an online key seed says what the file is and what to sign with", async () => {
    const { file } = await initCeremony(dir, keys, []);
    const r = await runCli(["ceremony", "sign", file, "--key", keys.online1!, "--passphrase-env", "PASS"], PASSPHRASES);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${keys.online1} is an online key seed (tuf-edge keygen --online)`);
    expect(r.stderr).toContain("Sign with a root or targets key file");
    expect(r.stderr).not.toContain("not valid JSON");
  });

  it("targets: a renewed targets version with the same delegations", async () => {
    const { file: init } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    const root1 = await extractEnvelope(init, "root", join(dir, "r.json"));
    const targets1 = await extractEnvelope(init, "targets", join(dir, "t.json"));
    const file = join(dir, "renew.json");
    const r = await runCli(["ceremony", "targets", "--root", root1, "--from-targets", targets1, "--expires", "30d", "--out", file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("targets v2");
    expect((await sign(file, keys.targets1!)).stdout).toContain("all thresholds are met");
    const json = await readJson(file);
    const t = Metadata.fromJSON(json.targets, "targets").signed;
    expect(t.delegations?.toJSON()).toEqual(Metadata.fromJSON(await readJson(targets1), "targets").signed.delegations?.toJSON());
    expect(Math.abs(t.expires - Date.now() - 30 * 86_400_000)).toBeLessThan(10_000);
    const status = await runCli(["ceremony", "status", file]);
    expect(status.stdout).toMatch(/targets v2: the targets keys of root v1: 1 signature, 1 needed \(complete\); signed by key \w{8}/);
  });

  it("refuses impossible thresholds, a shared online key, and unsigned input", () =>
    withTempDir(async (tmp) => {
      const base = ["ceremony", "init", "--targets-key", pub(keys.targets1!), "--targets-threshold", "1", "--out", join(tmp, "c.json")];
      const tooHigh = await runCli([...base, "--root-key", pub(keys.root1!), "--root-threshold", "2", "--online-key", pub(keys.online1!)]);
      expect(tooHigh.code).toBe(2);
      expect(tooHigh.stderr).toContain("threshold 2 is more than its 1 keys");
      const shared = await runCli([...base, "--root-key", pub(keys.online1!), "--root-threshold", "1", "--online-key", pub(keys.online1!)]);
      expect(shared.stderr).toContain("the online key must not also be a root or targets key");
      const missing = await runCli(base.slice(0, 2));
      expect(missing.code).toBe(2);

      // --from-root must be a root clients trust: an unsigned one is refused.
      const { file } = await initCeremony(tmp, keys, []);
      const unsigned = await extractEnvelope(file, "root", join(tmp, "1.root.json"));
      const r = await runCli(["ceremony", "rotate", "--from-root", unsigned, "--out", join(tmp, "r.json")], PASSPHRASES);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("root v1 has 0 valid signatures of the 2 required");
    }));
});
