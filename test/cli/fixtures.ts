import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { expect } from "vitest";
import { runCli } from "./helpers.js";

// Cheap test keys (scrypt N=2^12): the suite makes and opens dozens. keygen.test.ts checks the real cost.
export const PASSPHRASES = { PASS: "passphrase of every test key", TUF_EDGE_INSECURE_TEST_KEYS: "1" };

/** Key files made with `tuf-edge keygen` in `dir`: `<name>.key` and `<name>.key.pub.json`. */
export async function keygen(dir: string, ...names: string[]): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of names) {
    const file = join(dir, `${name}.key`);
    const online = name.startsWith("online");
    const r = await runCli(["keygen", "--out", file, ...(online ? ["--online"] : ["--passphrase-env", "PASS"])], PASSPHRASES);
    expect(r.code, r.stderr).toBe(0);
    files[name] = file;
  }
  return files;
}

export const pub = (keyFile: string) => `${keyFile}.pub.json`;

export async function sign(ceremony: string, keyFile: string) {
  const r = await runCli(["ceremony", "sign", ceremony, "--key", keyFile, "--passphrase-env", "PASS"], PASSPHRASES);
  expect(r.code, r.stderr).toBe(0);
  return r;
}

/** A ceremony file for root v1 (2 of root1..3) and targets v1 (1 of targets1), signed by `signers`. */
let made = 0;
export async function initCeremony(dir: string, keys: Record<string, string>, signers: string[], bits = 14) {
  const file = join(dir, `ceremony-${++made}.json`);
  const r = await runCli([
    "ceremony", "init",
    "--root-key", pub(keys.root1!), "--root-key", pub(keys.root2!), "--root-key", pub(keys.root3!), "--root-threshold", "2",
    "--targets-key", pub(keys.targets1!), "--targets-threshold", "1",
    "--online-key", pub(keys.online1!), "--bits", String(bits), "--out", file,
  ]);
  expect(r.code, r.stderr).toBe(0);
  for (const s of signers) await sign(file, keys[s]!);
  return { file, init: r };
}

export const readJson = async (file: string) => JSON.parse(await readFile(file, "utf8"));

/** Writes the ceremony's envelopes as the repository would publish them (`1.root.json`, ...). */
export async function extractEnvelope(ceremony: string, field: "root" | "targets", out: string) {
  await writeFile(out, JSON.stringify((await readJson(ceremony))[field]));
  return out;
}
