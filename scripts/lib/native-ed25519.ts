import { type KeyObject, createPublicKey, verify } from "node:crypto";
import { useEd25519Verify } from "../../shared/index.js";

// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410): the 32 key bytes follow.
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Public keys seen, imported once: a repository's bins are all signed by the same online key. */
const imported = new Map<string, KeyObject>();

function publicKeyObject(raw: Uint8Array): KeyObject {
  const hex = Buffer.from(raw).toString("hex");
  let key = imported.get(hex);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: "der", type: "spki" });
    imported.set(hex, key);
  }
  return key;
}

/**
 * Makes shared/'s signature check use Node's OpenSSL Ed25519 (RFC 8032 verification, about ten
 * times faster than the pure-JS fallback). Only for the CLI: the Worker and the tests keep the default.
 */
export function useNativeEd25519(): void {
  useEd25519Verify((signature, message, publicKey) => {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    try {
      return verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      return false;
    }
  });
}
