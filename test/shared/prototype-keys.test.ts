// Finding 8 of issue 12: keyids and role names are untrusted strings. One that names what every
// object inherits ("constructor", "toString", …) must be an unknown key, never a found one.
import { describe, expect, it } from "vitest";
import {
  Delegations, Metadata, Root, Role, SuccinctRoles, TrustedMetadata, keyFor,
} from "../../shared/index.js";
import { expectFieldError, expectVerificationError, makeRepo, makeRoot, newSigner, newSigners, served, sign } from "./fixtures.js";

export const PROTOTYPE_NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"] as const;

describe.each(PROTOTYPE_NAMES)("the untrusted name %j", (name) => {
  it("is not a key of any keys object, built or parsed", async () => {
    const repo = await makeRepo();
    expect(keyFor(repo.root.signed.keys, name)).toBeUndefined();
    const parsed = Metadata.fromJSON(served(repo.root), "root");
    expect(keyFor(parsed.signed.keys, name)).toBeUndefined();
  });

  it("as a keyid a root role lists, is not in keys: refused, naming the role", async () => {
    const json = served(await makeRepo().then((r) => r.root));
    json.signed.roles.timestamp.keyids.push(name);
    expectFieldError(() => Metadata.fromJSON(json, "root"), "signed.roles.timestamp.keyids");
  });

  it("as a keyid in keys, does not match its key: refused, naming it", async () => {
    const repo = await makeRepo();
    const json = served(repo.root);
    const [, key] = Object.entries(json.signed.keys)[0]!;
    // JSON.parse makes "__proto__" an own field, as an attacker's request body would.
    const keys = JSON.parse(`{${JSON.stringify(name)}: ${JSON.stringify(key)}}`);
    json.signed.keys = { ...json.signed.keys, ...keys };
    if (name === "__proto__") Object.defineProperty(json.signed.keys, name, { value: key, enumerable: true });
    expectFieldError(() => Metadata.fromJSON(json, "root"), `signed.keys.${name}`);
  });

  it("as a top-level role name, is refused: roles must be exactly the four", async () => {
    const json = JSON.parse(JSON.stringify(served((await makeRepo()).root)).replace('"snapshot":{', `${JSON.stringify(name)}:{`));
    expectFieldError(() => Metadata.fromJSON(json, "root"), "signed.roles");
  });

  it("as a keyid succinct_roles lists, is not in delegations.keys: refused", async () => {
    const online = await newSigner();
    expectFieldError(
      () => new Delegations({ [online.key.keyid]: online.key }, undefined, new SuccinctRoles([online.key.keyid, name], 1, 4, "bins")),
      "signed.delegations.succinct_roles.keyids",
    );
  });

  it("as the keyid of a signature on a hand-built root, counts for nothing and throws no TypeError", async () => {
    const [a, b] = await newSigners(2);
    const online = await newSigner();
    const honest = makeRoot({ root: [a!, b!], rootThreshold: 1, targets: online, online });
    const delegate = new Role([name], 1);
    const md = new Metadata(honest, [{ keyid: name, sig: "00".repeat(64) }]);
    expect(md.validSigners(delegate, honest.keys)).toEqual([]);
    expectVerificationError(() => md.verifyDelegate("root", delegate, honest.keys), "threshold");
    expect(() => new Root({ ...honest, roles: { ...honest.roles, root: delegate } })).toThrow(/not in keys/);
  });

  it("as a delegated role a client asks for, is not delegated (VerificationError, not a crash)", async () => {
    const repo = await makeRepo();
    const client = new TrustedMetadata(repo.files.get("1.root.json")!, repo.timestamp.signed.expires - 1000);
    client.updateTimestamp(repo.files.get("timestamp.json")!);
    client.updateSnapshot(repo.files.get("1.snapshot.json")!);
    client.updateTargets("targets", repo.files.get("1.targets.json")!);
    expectVerificationError(() => client.updateTargets(name, repo.files.get("1.bins-0.json")!), "missing");
  });
});

it("a signed root whose role lists a prototype keyid never verifies: it cannot even be built", async () => {
  const repo = await makeRepo();
  const json = served(await sign(repo.root.signed, ...repo.keys.root));
  json.signed.roles.root.keyids.push("constructor");
  json.signatures.push({ keyid: "constructor", sig: "00".repeat(64) });
  expectFieldError(() => Metadata.fromJSON(json, "root"), "signed.roles.root.keyids");
});
