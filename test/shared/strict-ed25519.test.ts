// Finding 7 of issue 12: what the Worker accepts, every client must accept. @noble/ed25519 verifies by
// ZIP-215 by default (and cofactored even with `zip215: false`); python-tuf (OpenSSL) and go-tuf
// (crypto/ed25519) check RFC 8032 cofactorless. Each case here is a signature that noble's default
// accepts; Key.verify refuses all of them. Refusing more than a client is safe, refusing less is not:
// small-order keys (which OpenSSL lets verify any message) are refused as libsodium refuses them.
import * as ed from "@noble/ed25519";
import { createPublicKey, verify as opensslVerify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Key, Metadata, Role, Root, fromHex, randomSeed, toHex, utf8, verifyStrict } from "../../shared/index.js";
import { makeRoot, newSigner, newSigners } from "./fixtures.js";

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const toLE = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 255n));
const concat = (...parts: Uint8Array[]) => ed.etc.concatBytes(...parts);
const MESSAGE = utf8('{"_type":"root"}');

/** What OpenSSL (python-tuf via pyca/cryptography; Node's own crypto) says. */
function openssl(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    const der = concat(fromHex("302a300506032b6570032100"), publicKey);
    return opensslVerify(null, message, createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" }), signature);
  } catch {
    return false;
  }
}

/** Signs with the key's scalar but a nonce point R + T, T of order 2: the cofactored equation still holds. */
function mixedOrderR(seed: Uint8Array, message: Uint8Array) {
  const { scalar, pointBytes } = ed.utils.getExtendedPublicKey(seed);
  const r = le(ed.utils.randomSecretKey()) % L;
  const torsion = ed.Point.fromBytes(fromHex(`ec${"ff".repeat(30)}7f`)); // (0, -1)
  const R = ed.Point.BASE.multiply(r).add(torsion).toBytes();
  const k = le(ed.hashes.sha512!(concat(R, pointBytes, message))) % L;
  return { publicKey: pointBytes, signature: concat(R, toLE((r + k * scalar) % L)) };
}

const IDENTITY = fromHex(`01${"00".repeat(31)}`);
/** The identity with y = p + 1, a non-canonical encoding ZIP-215 decodes. */
const IDENTITY_NON_CANONICAL = fromHex(`ee${"ff".repeat(30)}7f`);

interface Forged {
  readonly name: string;
  /** What OpenSSL says: the strict verifier must say false wherever it says false. */
  readonly openssl: boolean;
  readonly make: () => { publicKey: Uint8Array; signature: Uint8Array };
}

const FORGED: Forged[] = [
  { name: "mixed-order R (valid only cofactored)", openssl: false, make: () => mixedOrderR(randomSeed(), MESSAGE) },
  { name: "small-order A and R = identity, S = 0 (verifies for any message)", openssl: true, make: () => ({ publicKey: IDENTITY, signature: concat(IDENTITY, new Uint8Array(32)) }) },
  { name: "non-canonical identity A, S = 0", openssl: true, make: () => ({ publicKey: IDENTITY_NON_CANONICAL, signature: concat(IDENTITY, new Uint8Array(32)) }) },
  { name: "non-canonical identity R and A, S = 0", openssl: false, make: () => ({ publicKey: IDENTITY_NON_CANONICAL, signature: concat(IDENTITY_NON_CANONICAL, new Uint8Array(32)) }) },
];

describe("Ed25519: the Worker verifies as strictly as OpenSSL and Go", () => {
  it.each(FORGED)("refuses $name, which ZIP-215 accepts", ({ make, openssl: opensslSays }) => {
    const { publicKey, signature } = make();
    expect(ed.verify(signature, MESSAGE, publicKey)).toBe(true); // the lax rule, for the record
    expect(openssl(signature, MESSAGE, publicKey)).toBe(opensslSays);
    expect(verifyStrict(signature, MESSAGE, publicKey)).toBe(false);
    expect(new Key(toHex(publicKey)).verify(toHex(signature), MESSAGE)).toBe(false);
  });

  it("noble's zip215: false alone still accepts a mixed-order R: the cofactorless check is ours", () => {
    const { publicKey, signature } = mixedOrderR(randomSeed(), MESSAGE);
    expect(ed.verify(signature, MESSAGE, publicKey, { zip215: false })).toBe(true);
    expect(verifyStrict(signature, MESSAGE, publicKey)).toBe(false);
  });

  it("refuses a non-canonical S (S + L), as every client does", async () => {
    const seed = randomSeed();
    const good = await ed.signAsync(MESSAGE, seed);
    const publicKey = await ed.getPublicKeyAsync(seed);
    const bad = concat(good.subarray(0, 32), toLE(le(good.subarray(32)) + L));
    expect(openssl(bad, MESSAGE, publicKey)).toBe(false);
    expect(verifyStrict(bad, MESSAGE, publicKey)).toBe(false);
  });

  it("accepts what honest signers make, exactly when OpenSSL does (100 keys, tampered copies)", async () => {
    for (let i = 0; i < 100; i++) {
      const seed = randomSeed();
      const message = utf8(`message ${i}`);
      const signature = await ed.signAsync(message, seed);
      const publicKey = await ed.getPublicKeyAsync(seed);
      expect(verifyStrict(signature, message, publicKey)).toBe(true);
      const tampered = signature.slice();
      tampered[i % 64]! ^= 1 << i % 8;
      expect(verifyStrict(tampered, message, publicKey)).toBe(openssl(tampered, message, publicKey));
      expect(verifyStrict(signature, utf8(`message ${i + 1}`), publicKey)).toBe(false);
    }
  });

  it("a root listing a small-order key gets no valid signature from it: the threshold is not met", async () => {
    const [a, b] = await newSigners(2);
    const online = await newSigner();
    const forgedKey = new Key(toHex(IDENTITY));
    const honest = makeRoot({ root: [a!, b!], rootThreshold: 2, targets: online, online });
    const root = new Root({
      version: 1,
      expires: honest.expires,
      keys: { ...honest.keys, [forgedKey.keyid]: forgedKey },
      roles: { ...honest.roles, root: new Role([a!.key.keyid, forgedKey.keyid], 2) },
    });
    const signedByA = await new Metadata(root).sign([a!]);
    const forged = new Metadata(root, [...signedByA.signatures, { keyid: forgedKey.keyid, sig: toHex(concat(IDENTITY, new Uint8Array(32))) }]);
    expect(forged.validSigners(root.roles.root, root.keys)).toEqual([a!.key.keyid]);
    expect(() => forged.verifyDelegate("root", root.roles.root, root.keys)).toThrow(/1 valid signatures of the 2 required/);
  });
});
