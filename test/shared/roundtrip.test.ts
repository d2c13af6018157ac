// Unknown fields are signed over and kept (as python-tuf does): a file another tool wrote, with fields
// we do not model, must parse, re-serialize to the same signed bytes and still verify.
import { canonicalize as olpc } from "@tufjs/canonical-json";
import { beforeAll, describe, expect, it } from "vitest";
import { Metadata, toHex, utf8 } from "../../shared/index.js";
import { type Repo, makeRepo, served } from "./fixtures.js";

const X = { x_note: "ünïcødé \"quoted\" \\", x_list: [1, { deep: [] }], x_obj: {} };

/** Adds X, and an own "__proto__" field as JSON.parse would make it, to an object parsed from JSON. */
function addUnknown(o: Record<string, unknown>) {
  Object.assign(o, structuredClone(X));
  Object.defineProperty(o, "__proto__", { value: { polluted: true }, enumerable: true, writable: true, configurable: true });
}

/** Signs like another implementation would: OLPC bytes of `signed`, pretty-printed envelope. */
async function foreignFile(repo: Repo, json: any): Promise<string> {
  const bytes = utf8(olpc(json.signed));
  const signers = [...repo.keys.root.slice(0, 2), repo.keys.targets, repo.keys.online];
  json.signatures = await Promise.all(signers.map(async (s) => ({ keyid: s.key.keyid, sig: toHex(await s.sign(bytes)) })));
  return JSON.stringify(json, null, 2);
}

function expectRoundTrip<K extends "root" | "targets" | "snapshot" | "timestamp">(text: string, type: K, verifyWith: Repo["root"]) {
  const json = JSON.parse(text);
  const md = Metadata.parse(text, type);
  expect(new TextDecoder().decode(md.signedBytes())).toBe(olpc(json.signed));
  expect(JSON.parse(md.toString())).toEqual(json);
  expect(md.toString()).toBe(olpc(json));
  const again = Metadata.parse(md.toBytes(), type);
  expect(again.toString()).toBe(md.toString());
  if (type !== "targets") {
    const role = verifyWith.signed.roles[type];
    expect(() => again.verifyDelegate(type, role, verifyWith.signed.keys)).not.toThrow();
  }
  return md;
}

describe("parse → serialize round trip", () => {
  let repo: Repo;
  beforeAll(async () => {
    repo = await makeRepo();
  });

  it("keeps unknown fields of root, its keys and roles", async () => {
    const json = served(repo.root);
    addUnknown(json.signed);
    for (const key of Object.values<any>(json.signed.keys)) addUnknown(key);
    for (const role of Object.values<any>(json.signed.roles)) addUnknown(role);
    const md = expectRoundTrip(await foreignFile(repo, json), "root", repo.root);
    expect(md.signed.extra.x_note).toBe(X.x_note);
    expect(Object.keys(md.signed.extra)).toContain("__proto__");
    expect(Object.getPrototypeOf(md.signed.extra)).toBe(Object.prototype);
  });

  it("keeps unknown fields of targets, target files and delegations", async () => {
    const json = served(repo.bins.get([...repo.bins.keys()].find((b) => repo.bins.get(b)!.signed.targets.size > 0)!)!);
    addUnknown(json.signed);
    for (const target of Object.values<any>(json.signed.targets)) addUnknown(target);
    const delegating = served(repo.targets);
    addUnknown(delegating.signed);
    addUnknown(delegating.signed.delegations);
    addUnknown(delegating.signed.delegations.succinct_roles);
    for (const key of Object.values<any>(delegating.signed.delegations.keys)) addUnknown(key);
    const bin = expectRoundTrip(await foreignFile(repo, json), "targets", repo.root);
    const targets = expectRoundTrip(await foreignFile(repo, delegating), "targets", repo.root);
    expect(() => targets.verifyDelegate("targets", repo.root.signed.roles.targets, repo.root.signed.keys)).not.toThrow();
    const { succinctRoles, keys } = targets.signed.delegations!;
    expect(() => bin.verifyDelegate("bin", succinctRoles!, keys)).not.toThrow();
  });

  it("keeps unknown fields of snapshot, timestamp and their meta files", async () => {
    const snapshot = served(repo.snapshot);
    addUnknown(snapshot.signed);
    addUnknown(snapshot.signed.meta["targets.json"]);
    const timestamp = served(repo.timestamp);
    addUnknown(timestamp.signed);
    addUnknown(timestamp.signed.meta["snapshot.json"]);
    expectRoundTrip(await foreignFile(repo, snapshot), "snapshot", repo.root);
    expectRoundTrip(await foreignFile(repo, timestamp), "timestamp", repo.root);
  });

  it("keeps target paths that look like Object.prototype members", async () => {
    const json = served(repo.bins.get("bins-0")!);
    json.signed.targets = JSON.parse('{"__proto__": {"length": 1, "hashes": {"sha256": "' + "0".repeat(64) + '"}}}');
    json.signed.targets.constructor = { length: 2, hashes: { sha256: "1".repeat(64) } };
    const md = expectRoundTrip(await foreignFile(repo, json), "targets", repo.root);
    expect([...md.signed.targets.keys()].sort()).toEqual(["__proto__", "constructor"]);
  });

  it("reproduces our own files byte for byte", () => {
    for (const md of [repo.root, repo.targets, repo.snapshot, repo.timestamp, ...repo.bins.values()]) {
      const type = md.signed.type;
      expect(toHex(Metadata.parse(md.toBytes(), type).toBytes())).toBe(toHex(md.toBytes()));
    }
  });
});
