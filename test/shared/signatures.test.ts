import { beforeAll, describe, expect, it } from "vitest";
import { Metadata, type Root, type Signer } from "../../shared/index.js";
import { expectFieldError, expectVerificationError, makeRoot, newSigner, newSigners, served, sign } from "./fixtures.js";

describe("signature thresholds (root: 3 keys, threshold 2)", () => {
  let rootSigners: Signer[];
  let online: Signer;
  let root: Root;
  const signedBy = (...signers: Signer[]) => sign(root, ...signers);
  const validCount = (md: Metadata<Root>) => md.validSigners(root.roles.root, root.keys).length;
  const verify = (md: Metadata<Root>) => md.verifyDelegate("root", root.roles.root, root.keys);

  beforeAll(async () => {
    rootSigners = await newSigners(3);
    online = await newSigner();
    root = makeRoot({ root: rootSigners, rootThreshold: 2, targets: online, online });
  });

  it("refuses no signature and one below the threshold", async () => {
    expectVerificationError(() => verify(new Metadata(root)), "threshold");
    const one = await signedBy(rootSigners[0]!);
    expect(validCount(one)).toBe(1);
    expect(expectVerificationError(() => verify(one), "threshold").message).toContain("1 valid signatures of the 2 required");
  });

  it("accepts signatures at and above the threshold", async () => {
    const two = await signedBy(rootSigners[0]!, rootSigners[2]!);
    const three = await signedBy(...rootSigners);
    expect(validCount(two)).toBe(2);
    expect(validCount(three)).toBe(3);
    expect(() => verify(two)).not.toThrow();
    expect(() => verify(three)).not.toThrow();
  });

  it("refuses an envelope with two signatures by one keyid", async () => {
    const json = served(await signedBy(rootSigners[0]!));
    json.signatures.push({ ...json.signatures[0] });
    expectFieldError(() => Metadata.fromJSON(json, "root"), "signatures");
    expectFieldError(() => Metadata.parse(JSON.stringify(json), "root"), "signatures");
  });

  it("counts a key once even when a hand-built envelope repeats its signature", async () => {
    const sig = (await signedBy(rootSigners[0]!)).signatures[0]!;
    const md = new Metadata(root, [sig, sig]);
    expect(validCount(md)).toBe(1);
    expectVerificationError(() => verify(md), "threshold");
  });

  it("ignores a signature by a keyid it does not know", async () => {
    const stranger = await newSigner();
    const md = await signedBy(rootSigners[0]!, stranger);
    expect(md.signatures).toHaveLength(2);
    expect(validCount(md)).toBe(1);
    expectVerificationError(() => verify(md), "threshold");
    const rescued = await md.sign([rootSigners[1]!]);
    expect(() => verify(rescued)).not.toThrow();
  });

  it("ignores a signature by a known key that is not the role's", async () => {
    expect(root.keys[online.key.keyid]).toBeDefined();
    const md = await signedBy(rootSigners[0]!, online);
    expect(validCount(md)).toBe(1);
    expectVerificationError(() => verify(md), "threshold");
  });

  it.each([
    ["not hex", (sig: string) => "zz" + sig.slice(2)],
    ["upper-case hex", (sig: string) => sig.toUpperCase()],
    ["too short", (sig: string) => sig.slice(0, 126)],
    ["too long", (sig: string) => sig + "00"],
    ["empty", () => ""],
    ["one bit flipped", (sig: string) => (sig[0] === "0" ? "1" : "0") + sig.slice(1)],
    ["all zero", (sig: string) => "0".repeat(sig.length)],
  ])("does not count a bad signature (%s) and does not throw on it", async (_, spoil) => {
    const json = served(await signedBy(rootSigners[0]!, rootSigners[1]!));
    json.signatures[1].sig = spoil(json.signatures[1].sig);
    const md = Metadata.fromJSON(json, "root");
    expect(validCount(md)).toBe(1);
    expectVerificationError(() => verify(md), "threshold");
  });

  it("does not count a valid signature over other bytes", async () => {
    const other = await sign(makeRoot({ root: rootSigners, rootThreshold: 2, targets: online, online }, 2), rootSigners[1]!);
    const json = served(await signedBy(rootSigners[0]!));
    json.signatures.push(served(other).signatures[0]);
    expect(validCount(Metadata.fromJSON(json, "root"))).toBe(1);
  });

  it("replaces, not adds, a signature when a key signs again", async () => {
    const md = await (await signedBy(rootSigners[0]!)).sign([rootSigners[0]!]);
    expect(md.signatures).toHaveLength(1);
    const fresh = await (await signedBy(rootSigners[0]!)).sign([rootSigners[1]!], false);
    expect(fresh.signatures.map((s) => s.keyid)).toEqual([rootSigners[1]!.key.keyid]);
  });
});
