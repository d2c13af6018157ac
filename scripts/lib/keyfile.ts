import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { FieldError, Key, type Signer, ed25519Signer, fromHex, toHex } from "../../shared/index.js";
import { CliError } from "./errors.js";

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Uint8Array,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export const KEY_FILE_FORMAT = "tuf-edge-key/1";

/**
 * An offline (root or targets) key on disk: the TUF public key in the clear, the 32-byte Ed25519
 * seed encrypted with AES-256-GCM under a key derived from a passphrase with scrypt. Every
 * parameter needed to decrypt is stored; the keyid is authenticated data, so the public half
 * cannot be swapped without the decryption failing.
 */
export interface KeyFile {
  format: typeof KEY_FILE_FORMAT;
  /** The holder's name (keygen --name): shown by `ceremony status`. */
  name?: string;
  keyid: string;
  key: ReturnType<Key["toJSON"]>;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: { name: "aes-256-gcm"; iv: string; tag: string };
  ciphertext: string;
}

/** OWASP's scrypt recommendation (N=2^17, r=8, p=1): 128 MiB and about half a second per try. */
export const DEFAULT_SCRYPT = { N: 2 ** 17, r: 8, p: 1 };
/** For tests and throw-away dev keys only (TUF_EDGE_INSECURE_TEST_KEYS=1): fast to make and to crack. */
export const TEST_SCRYPT = { N: 2 ** 12, r: 8, p: 1 };
/** What a key file may ask of scrypt: at most 256 MiB (128·N·r bytes) and 4 times the default work. */
const MAX_SCRYPT_MEMORY = 256 * 2 ** 20;
const MAX_SCRYPT_WORK = 4 * DEFAULT_SCRYPT.N * DEFAULT_SCRYPT.r * DEFAULT_SCRYPT.p;
const WRONG_PASSPHRASE = "wrong passphrase or corrupted key file";

const deriveKey = (passphrase: string, kdf: KeyFile["kdf"]) =>
  scrypt(passphrase, fromHex(kdf.salt), 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 });

export async function encryptSeed(seed: Uint8Array, passphrase: string, params = DEFAULT_SCRYPT): Promise<KeyFile> {
  const key = (await ed25519Signer(seed)).key;
  const kdf = { name: "scrypt" as const, ...params, salt: toHex(randomBytes(16)) };
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", await deriveKey(passphrase, kdf), iv);
  cipher.setAAD(Buffer.from(`${KEY_FILE_FORMAT}:${key.keyid}`));
  const ciphertext = Buffer.concat([cipher.update(seed), cipher.final()]);
  return {
    format: KEY_FILE_FORMAT,
    keyid: key.keyid,
    key: key.toJSON(),
    kdf,
    cipher: { name: "aes-256-gcm", iv: toHex(iv), tag: toHex(cipher.getAuthTag()) },
    ciphertext: toHex(ciphertext),
  };
}

/** Checks the shape of a parsed key file, with bounds on scrypt's cost so a crafted file cannot exhaust memory. */
export function readKeyFileJSON(json: unknown, file: string): KeyFile {
  const k = json as Partial<KeyFile> | null;
  const hex = (v: unknown, bytes: number) => typeof v === "string" && v.length === bytes * 2 && /^[0-9a-f]*$/.test(v);
  const int = (v: unknown, max: number) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max;
  if (k?.format !== KEY_FILE_FORMAT) throw new CliError(`${file} is not a tuf-edge key file (expected format ${KEY_FILE_FORMAT})`);
  const ok =
    hex(k.keyid, 32) &&
    k.kdf?.name === "scrypt" && int(k.kdf.N, 2 ** 20) && k.kdf.N >= 2 && (k.kdf.N & (k.kdf.N - 1)) === 0 && int(k.kdf.r, 32) && int(k.kdf.p, 16) &&
    hex(k.kdf.salt, 16) &&
    k.cipher?.name === "aes-256-gcm" && hex(k.cipher.iv, 12) && hex(k.cipher.tag, 16) && hex(k.ciphertext, 32);
  if (!ok) throw new CliError(`${file} is a corrupted key file (a field is missing or malformed)`);
  const { N, r, p } = k.kdf!;
  if (128 * N * r > MAX_SCRYPT_MEMORY || N * r * p > MAX_SCRYPT_WORK) {
    throw new CliError(`${file} asks scrypt for N=${N} r=${r} p=${p}: more memory or work than any tuf-edge key needs (at most 256 MiB, ${MAX_SCRYPT_WORK / DEFAULT_SCRYPT.N / DEFAULT_SCRYPT.r}× the default)`);
  }
  return k as KeyFile;
}

/** Decrypts the seed and returns a signer; any mismatch reads as a wrong passphrase. */
export async function decryptKeyFile(keyFile: KeyFile, passphrase: string): Promise<Signer> {
  let seed: Buffer;
  try {
    const decipher = createDecipheriv("aes-256-gcm", await deriveKey(passphrase, keyFile.kdf), fromHex(keyFile.cipher.iv));
    decipher.setAAD(Buffer.from(`${KEY_FILE_FORMAT}:${keyFile.keyid}`));
    decipher.setAuthTag(fromHex(keyFile.cipher.tag));
    seed = Buffer.concat([decipher.update(fromHex(keyFile.ciphertext)), decipher.final()]);
  } catch {
    throw new CliError(WRONG_PASSPHRASE);
  }
  const signer = await ed25519Signer(seed);
  seed.fill(0);
  if (signer.key.keyid !== keyFile.keyid) throw new CliError(WRONG_PASSPHRASE);
  return signer;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON`);
  }
}

export async function readJsonFile(file: string): Promise<unknown> {
  return parseJson(file, await readText(file));
}

/** What `keygen --online` writes: the raw seed in hex, for the Worker's ONLINE_KEY. */
const ONLINE_SEED = /^\s*[0-9a-fA-F]{64}\s*$/;

export async function loadKeyFile(file: string): Promise<KeyFile> {
  const text = await readText(file);
  if (ONLINE_SEED.test(text)) {
    throw new CliError(
      `${file} is an online key seed (tuf-edge keygen --online): the online key signs timestamp, snapshot and bins in the Worker, ` +
        "never root or targets (key separation). Sign with a root or targets key file (tuf-edge keygen --out NAME.key); " +
        `the ceremony names the online key by its public key, ${file}.pub.json`,
    );
  }
  return readKeyFileJSON(parseJson(file, text), file);
}

/** Where keygen records the holder's name in a `*.pub.json`; never copied into signed metadata. */
export const NAME_FIELD = "x-tuf-edge-name";

/** The name of a key file's holder: keygen's --name, else the file name without `.key…`. */
const defaultName = (file: string) => (file.split(/[\\/]/).pop() ?? file).replace(/\.key(\.pub)?(\.json)?$|\.pub\.json$/, "");

/**
 * A public key from a file: a TUF key object (`*.pub.json`) or a tuf-edge key file (only its public
 * half is read), with its holder's name.
 */
export async function readNamedPublicKey(file: string): Promise<{ key: Key; name: string }> {
  const json = (await readJsonFile(file)) as { format?: unknown; key?: unknown; name?: unknown; [NAME_FIELD]?: unknown } | null;
  const named = json?.format === KEY_FILE_FORMAT ? json.name : json?.[NAME_FIELD];
  let key: Key;
  try {
    key = Key.fromJSON(json?.format === KEY_FILE_FORMAT ? json.key : json, file);
  } catch (e) {
    throw new CliError(e instanceof FieldError ? `${file} is not a TUF public key (${e.message})` : (e as Error).message);
  }
  const { [NAME_FIELD]: _name, ...extra } = key.extra;
  return { key: new Key(key.publicHex, extra), name: typeof named === "string" && named ? named.slice(0, 100) : defaultName(file) };
}

export async function readPublicKey(file: string): Promise<Key> {
  return (await readNamedPublicKey(file)).key;
}

/** A keyid (64 hex) as given, or the keyid of the public key in that file. */
export async function readKeyid(arg: string): Promise<string> {
  return /^[0-9a-f]{64}$/.test(arg) ? arg : (await readPublicKey(arg)).keyid;
}

/** Creates `file` with mode 0600; never overwrites (a lost key cannot be recovered). */
export async function writeNewFile(file: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(file, text, { mode, flag: "wx" });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new CliError(`${file} already exists; not overwriting it`);
    throw new CliError(`cannot write ${file}: ${code ?? (e as Error).message}`);
  }
}

export const publicKeyPath = (file: string) => `${file}.pub.json`;
export const publicKeyJSON = (key: Key, name?: string) => `${JSON.stringify({ ...key.toJSON(), ...(name ? { [NAME_FIELD]: name } : {}) }, null, 2)}\n`;
