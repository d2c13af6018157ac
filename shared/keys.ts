import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";
import { canonicalJson } from "./canonical.js";
import { FieldError } from "./errors.js";
import { fromHex, isHex, sha256Hex, toHex } from "./encoding.js";
import { type JsonObject, readObject, readString, unrecognized } from "./json.js";

ed.hashes.sha512 = sha512;

/** An Ed25519 signature check over raw bytes. */
export type Ed25519Verify = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;
let ed25519Verify: Ed25519Verify = (signature, message, publicKey) => verifyStrict(signature, message, publicKey);

/**
 * Replaces the pure-JS check (about 2.6 ms a signature) with a native one where the runtime has a
 * synchronous Ed25519 (Node's OpenSSL: about 0.2 ms), so a client can check 16,384 bins in seconds.
 * It must be as strict as verifyStrict (OpenSSL is: it is what python-tuf verifies with).
 */
export function useEd25519Verify(verify: Ed25519Verify): void {
  ed25519Verify = verify;
}

/** A TUF public key. Only Ed25519: every client verifies it and it signs fastest. */
export class Key {
  readonly keyid: string;

  constructor(
    readonly publicHex: string,
    readonly extra: JsonObject = {},
  ) {
    if (!isHex(publicHex, 64)) throw new FieldError("keyval.public", "must be 64 lowercase hex");
    this.keyid = sha256Hex(canonicalJson(this.keyidFields()));
  }

  /** The spec's keyid: SHA-256 of the canonical JSON of keytype, scheme and keyval only. */
  private keyidFields() {
    return { keytype: "ed25519", scheme: "ed25519", keyval: { public: this.publicHex } };
  }

  static fromJSON(value: unknown, field = "key"): Key {
    const o = readObject(value, field);
    const keytype = readString(o, "keytype", field);
    const scheme = readString(o, "scheme", field);
    if (keytype !== "ed25519" || scheme !== "ed25519") {
      throw new FieldError(`${field}.keytype`, `only ed25519 keys are supported, got ${keytype}/${scheme}`);
    }
    const keyval = readObject(o.keyval, `${field}.keyval`);
    return new Key(readString(keyval, "public", `${field}.keyval`), unrecognized(o, ["keytype", "scheme", "keyval"]));
  }

  toJSON(): JsonObject {
    return { ...this.extra, ...this.keyidFields() };
  }

  verify(signatureHex: string, message: Uint8Array): boolean {
    if (!isHex(signatureHex, 128)) return false;
    try {
      return ed25519Verify(fromHex(signatureHex), message, fromHex(this.publicHex));
    } catch {
      return false;
    }
  }
}

/** The order of the Ed25519 base point. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const littleEndian = (bytes: Uint8Array) => bytes.reduceRight((n, b) => (n << 8n) | BigInt(b), 0n);

/**
 * Ed25519 verification as the strictest client does it (RFC 8032 §5.1.7, cofactorless, as Go's
 * crypto/ed25519 and OpenSSL behind python-tuf): canonical S < L and a canonical, not small-order A;
 * then [S]B − [k]A must encode to exactly the R bytes sent (so R is canonical and has no small-order
 * part). noble's default is ZIP-215, and even its `zip215: false` checks the cofactored equation:
 * both accept signatures those clients refuse, and what the Worker accepts every client must accept.
 */
export function verifyStrict(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const s = littleEndian(signature.subarray(32));
  if (s >= L) return false;
  let A: ed.Point;
  try {
    A = ed.Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  if (A.isSmallOrder()) return false;
  const r = signature.subarray(0, 32);
  const k = littleEndian(sha512(ed.etc.concatBytes(r, publicKey, message))) % L;
  const expected = ed.Point.BASE.multiply(s, false).subtract(A.multiply(k, false)).toBytes();
  return expected.every((b, i) => b === r[i]);
}

/** Signs for one key. Implementations: a seed in memory (below); a KMS could be another. */
export interface Signer {
  readonly key: Key;
  sign(message: Uint8Array): Promise<Uint8Array>;
}

const PKCS8_ED25519_PREFIX = fromHex("302e020100300506032b657004220420");

/**
 * Signs with an Ed25519 seed. Uses WebCrypto where the runtime has Ed25519 (workerd, Node), which is
 * about ten times faster than @noble/ed25519; the signatures are byte-identical (Ed25519 is
 * deterministic), and noble is the fallback.
 */
export async function ed25519Signer(seed: Uint8Array): Promise<Signer> {
  if (seed.length !== 32) throw new FieldError("seed", "an Ed25519 seed is 32 bytes");
  const key = new Key(toHex(await ed.getPublicKeyAsync(seed)));
  try {
    const pkcs8 = new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]);
    const cryptoKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
    return {
      key,
      // DOM's BufferSource excludes views of a SharedArrayBuffer; ours never are.
      sign: async (message) => new Uint8Array(await crypto.subtle.sign("Ed25519", cryptoKey, message as BufferSource)),
    };
  } catch {
    return { key, sign: (message) => ed.signAsync(message, seed) };
  }
}

export function seedFromHex(hex: string, field = "ONLINE_KEY"): Uint8Array {
  if (!/^[0-9a-fA-F]{64}$/.test(hex.trim())) throw new FieldError(field, "must be 32 bytes of hex (64 characters)");
  return fromHex(hex.trim().toLowerCase());
}

export const randomSeed = (): Uint8Array => ed.utils.randomSecretKey();
