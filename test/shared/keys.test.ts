import { describe, expect, it } from "vitest";
import { Key, ed25519Signer, fromHex, seedFromHex, toHex, utf8 } from "../../shared/index.js";
import { expectFieldError, newSigner } from "./fixtures.js";

describe("Key", () => {
  it("computes the spec example's keyid", () => {
    const key = new Key("72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c");
    expect(key.keyid).toBe("1bf1c6e3cdd3d3a8420b19199e27511999850f4b376c4547b2f32fba7e80fca3");
  });

  it("leaves unknown key fields out of the keyid but keeps them in the JSON", () => {
    const json = {
      keytype: "ed25519", scheme: "ed25519", keyid_hash_algorithms: ["sha256", "sha512"],
      keyval: { public: "72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c" },
    };
    const key = Key.fromJSON(json);
    expect(key.keyid).toBe("1bf1c6e3cdd3d3a8420b19199e27511999850f4b376c4547b2f32fba7e80fca3");
    expect(key.toJSON()).toEqual(json);
  });

  it("refuses other key types and malformed public keys", () => {
    const pub = "72378e5bc588793e58f81c8533da64a2e8f1565c1fcc7f253496394ffc52542c";
    expectFieldError(() => Key.fromJSON({ keytype: "rsa", scheme: "rsassa-pss-sha256", keyval: { public: pub } }), "key.keytype");
    expectFieldError(() => Key.fromJSON({ keytype: "ed25519", scheme: "ed25519", keyval: {} }), "key.keyval.public");
    expectFieldError(() => new Key(pub.toUpperCase()), "keyval.public");
    expectFieldError(() => new Key(pub.slice(2)), "keyval.public");
  });
});

describe("ed25519Signer", () => {
  it("signs what the key verifies, deterministically (RFC 8032 test 1)", async () => {
    const signer = await ed25519Signer(fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    expect(signer.key.publicHex).toBe("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const sig = toHex(await signer.sign(new Uint8Array()));
    expect(sig).toBe(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    );
    expect(signer.key.verify(sig, new Uint8Array())).toBe(true);
    expect(signer.key.verify(sig, utf8("x"))).toBe(false);
  });

  it("rejects seeds that are not 32 bytes", async () => {
    await expect(ed25519Signer(new Uint8Array(31))).rejects.toThrow(/32 bytes/);
  });

  it("gives distinct keys for random seeds", async () => {
    const [a, b] = [await newSigner(), await newSigner()];
    expect(a.key.keyid).not.toBe(b.key.keyid);
  });
});

describe("seedFromHex", () => {
  it("accepts 64 hex characters, any case, trimmed", () => {
    expect(toHex(seedFromHex(` ${"AB".repeat(32)}\n`))).toBe("ab".repeat(32));
  });

  it("names the setting when the seed is malformed", () => {
    expectFieldError(() => seedFromHex("ab".repeat(31)), "ONLINE_KEY");
    expectFieldError(() => seedFromHex("zz".repeat(32), "seed"), "seed");
  });
});
