import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decryptKeyFile, loadKeyFile, readPublicKey } from "../../scripts/lib/keyfile.js";
import { Key, ed25519Signer, seedFromHex, utf8 } from "../../shared/index.js";
import { runCli, withTempDir } from "./helpers.js";

const env = { PASS: "correct horse battery staple" };

describe("tuf-edge keygen", () => {
  it("writes an encrypted key (mode 0600) and its TUF public key beside it", () =>
    withTempDir(async (dir) => {
      const file = join(dir, "root-1.key");
      const r = await runCli(["keygen", "--out", file, "--passphrase-env", "PASS"], env);
      expect(r.code).toBe(0);

      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const pub = JSON.parse(await readFile(`${file}.pub.json`, "utf8"));
      expect(Object.keys(pub).sort()).toEqual(["keytype", "keyval", "scheme"]);
      const key = Key.fromJSON(pub);
      expect(r.stdout).toContain(`keyid ${key.keyid}`);

      const keyFile = await loadKeyFile(file);
      expect(keyFile.keyid).toBe(key.keyid);
      expect(keyFile.kdf).toMatchObject({ name: "scrypt", N: 2 ** 17, r: 8, p: 1 }); // OWASP
      expect(keyFile.cipher.name).toBe("aes-256-gcm");

      // The right passphrase gives a signer for exactly this public key.
      const signer = await decryptKeyFile(keyFile, env.PASS);
      expect(signer.key.keyid).toBe(key.keyid);
      const message = utf8("signed bytes");
      expect(key.verify(Buffer.from(await signer.sign(message)).toString("hex"), message)).toBe(true);

      // Nothing secret is printed.
      expect(r.stdout + r.stderr).not.toContain(keyFile.ciphertext);
    }));

  it("fails with a clear message on a wrong passphrase or a tampered file", () =>
    withTempDir(async (dir) => {
      const file = join(dir, "k.key");
      expect((await runCli(["keygen", "--out", file, "--passphrase-env", "PASS"], env)).code).toBe(0);
      const keyFile = await loadKeyFile(file);
      await expect(decryptKeyFile(keyFile, "wrong")).rejects.toThrow("wrong passphrase or corrupted key file");
      const flipped = { ...keyFile, ciphertext: `${keyFile.ciphertext.slice(0, -1)}${keyFile.ciphertext.endsWith("0") ? "1" : "0"}` };
      await expect(decryptKeyFile(flipped, env.PASS)).rejects.toThrow("wrong passphrase or corrupted key file");

      // Through the CLI: signing a ceremony with the wrong passphrase exits 1 with that one line.
      const ceremony = join(dir, "c.json");
      await runCli(["keygen", "--online", "--out", join(dir, "online")]);
      const init = await runCli([
        "ceremony", "init", "--root-key", `${file}.pub.json`, "--root-threshold", "1", "--targets-key", `${file}.pub.json`,
        "--targets-threshold", "1", "--online-key", join(dir, "online.pub.json"), "--out", ceremony,
      ]);
      expect(init.code).toBe(0);
      const r = await runCli(["ceremony", "sign", ceremony, "--key", file, "--passphrase-env", "PASS"], { PASS: "nope" });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe("tuf-edge ceremony sign: wrong passphrase or corrupted key file");
    }));

  it("refuses a short passphrase (unless TUF_EDGE_INSECURE_TEST_KEYS=1) and a key file that asks scrypt for too much", () =>
    withTempDir(async (dir) => {
      const short = await runCli(["keygen", "--out", join(dir, "short.key"), "--passphrase-env", "PASS"], { PASS: "hunter2" });
      expect(short).toMatchObject({ code: 1, stderr: "tuf-edge keygen: the passphrase is shorter than 12 characters; choose a longer one (a few words)" });
      const test = await runCli(["keygen", "--out", join(dir, "test.key"), "--passphrase-env", "PASS"], { PASS: "x", TUF_EDGE_INSECURE_TEST_KEYS: "1" });
      expect(test.code, test.stderr).toBe(0);
      expect(test.stderr).toContain("not for a real repository");
      expect((await loadKeyFile(join(dir, "test.key"))).kdf.N).toBe(2 ** 12);

      // A crafted file asking for 4 GiB (N=2^20, r=32) is refused before scrypt runs.
      const greedy = join(dir, "greedy.key");
      const keyFile = await loadKeyFile(join(dir, "test.key"));
      await writeFile(greedy, JSON.stringify({ ...keyFile, kdf: { ...keyFile.kdf, N: 2 ** 20, r: 32 } }));
      await expect(loadKeyFile(greedy)).rejects.toThrow(/asks scrypt for N=1048576 r=32 p=1: more memory or work than any tuf-edge key needs/);
      await writeFile(greedy, JSON.stringify({ ...keyFile, kdf: { ...keyFile.kdf, N: 2 ** 17, r: 8, p: 16 } }));
      await expect(loadKeyFile(greedy)).rejects.toThrow(/more memory or work/);
    }));

  it("never overwrites a key, and needs a passphrase source", () =>
    withTempDir(async (dir) => {
      const file = join(dir, "k.key");
      await writeFile(file, "precious");
      const r = await runCli(["keygen", "--out", file, "--passphrase-env", "PASS"], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("already exists");
      expect(await readFile(file, "utf8")).toBe("precious");

      const missing = await runCli(["keygen", "--out", join(dir, "other.key"), "--passphrase-env", "UNSET"], env);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("UNSET");
      const noTty = await runCli(["keygen", "--out", join(dir, "third.key")], env);
      expect(noTty.code).toBe(1);
    }));

  it("--online writes the raw hex seed (mode 0600) that ONLINE_KEY takes, and prints no secret", () =>
    withTempDir(async (dir) => {
      const file = join(dir, "online.key");
      const r = await runCli(["keygen", "--online", "--out", file]);
      expect(r.code).toBe(0);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      const hex = await readFile(file, "utf8");
      expect(hex).toMatch(/^[0-9a-f]{64}\n$/);
      const signer = await ed25519Signer(seedFromHex(hex));
      expect((await readPublicKey(`${file}.pub.json`)).keyid).toBe(signer.key.keyid);
      expect(r.stdout + r.stderr).not.toContain(hex.trim());
    }));
});
