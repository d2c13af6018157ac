// Sizes of the PEP 480 layout (shared/projects/) at 10,000 and 100,000 claimed projects, and what
// tuf-js pays to verify a project role signed by 1, 3 and 5 keys. Prints JSON.
//   npx tsx scripts/bench/project-roles.ts [--claims 10000,100000] [--max-per-part 1000]
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { Metadata as TufMetadata, MetadataKind } from "@tufjs/models";
import {
  DelegatedRole, Delegations, Key, Metadata, MetaFile, Snapshot, TargetFile, Targets, Timestamp, allBinNames, ed25519Signer, randomSeed,
  sha256Hex, type Signed, type Signer,
} from "../../shared/index.js";
import {
  type Claim, CLAIMED, RECENTLY_CLAIMED, UNCLAIMED, canonicalSpelling, claimRoleName, claimsRole, layoutDelegations, planClaimed, unclaimedRole,
} from "../../shared/projects/index.js";

const BITS = 14;
const DAY = 86_400_000;
const YEAR = 365 * DAY;
/** PEP 458's November 2019 figure: about 139 targets a bin. */
const TARGETS_PER_BIN = 139;
/** A claimed project's role in the example: 50 files (a few releases, wheels for several platforms). */
const FILES_PER_PROJECT = 50;
/** Claims since the last ceremony, in recently-claimed. */
const RECENT = 200;

const { values } = parseArgs({ options: { claims: { type: "string", default: "10000,100000" }, "max-per-part": { type: "string", default: "1000" } } });
const counts = values.claims.split(",").map(Number);
const maxPerPart = Number(values["max-per-part"]);

const newSigner = () => ed25519Signer(randomSeed());
const signed = async (s: Signed, signers: Signer[]) => (await new Metadata(s).sign(signers)).toBytes();
const size = (b: Uint8Array) => ({ raw: b.length, gzip: gzipSync(b).length });
const sum = (parts: Uint8Array[]) => ({ raw: parts.reduce((n, b) => n + b.length, 0), gzip: parts.reduce((n, b) => n + gzipSync(b).length, 0) });

/**
 * Project names shaped like PyPI's: crowding on `py`, `django-`, `types-` and friends, 12.5
 * characters on average (PyPI's mean in 2026).
 */
function projectNames(count: number): string[] {
  const starts = ["py", "py", "py", "django-", "types-", "flask-", "mkdocs-", "odoo-addon-", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k",
    "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "0", "1"];
  return Array.from({ length: count }, (_, i) => {
    const h = sha256Hex(new TextEncoder().encode(String(i)));
    const start = starts[parseInt(h.slice(0, 4), 16) % starts.length]!;
    const tail = BigInt(`0x${h.slice(4, 24)}`).toString(36).slice(0, 4 + (parseInt(h.slice(24, 26), 16) % 10));
    return `${start}${tail}${(i % 1000).toString(36)}`;
  });
}

function file(path: string): [string, TargetFile] {
  return [path, new TargetFile(1000 + (parseInt(sha256Hex(new TextEncoder().encode(path)).slice(0, 6), 16) % 5_000_000), { sha256: randomBytes(32).toString("hex") })];
}
const pypiPath = (name: string) => {
  const h = randomBytes(32).toString("hex");
  return `packages/${h.slice(0, 2)}/${h.slice(2, 4)}/${h.slice(4, 60)}/${name}`;
};

/** A maintainer's public key: each claim has its own (only sizes matter here, so no private half). */
const maintainerKey = () => new Key(randomBytes(32).toString("hex"));

async function layoutAt(count: number, keys: { offline: Signer; online: Signer }) {
  const expires = Date.now() + YEAR;
  const names = projectNames(count + RECENT);
  const claims: Claim[] = names.slice(0, count).map((project) => ({ project, keys: [maintainerKey()], threshold: 1 }));
  const recent: Claim[] = names.slice(count).map((project) => ({ project, keys: [maintainerKey()], threshold: 1 }));
  const offline = [keys.offline.key];

  const started = performance.now();
  const plan = planClaimed(claims, { offline, threshold: 1 }, 1, expires, { maxPerPart });
  const planMs = performance.now() - started;
  const targets = await signed(new Targets({ version: 2, expires, delegations: layoutDelegations({ offline, offlineThreshold: 1, online: [keys.online.key] }) }), [keys.offline]);
  const claimed = await signed(plan.claimed, [keys.offline]);
  const parts = new Map<string, Uint8Array>();
  for (const [name, part] of plan.parts) parts.set(name, await signed(part, [keys.offline]));
  const largestPart = [...parts].sort(([, a], [, b]) => b.length - a.length)[0]!;
  const recentlyClaimed = await signed(claimsRole(recent, 500, Date.now() + DAY), [keys.online]);
  const unclaimed = await signed(unclaimedRole([keys.online.key], BITS, 1, expires), [keys.offline]);
  const project = await signed(new Targets({
    version: 3, expires,
    targets: new Map(Array.from({ length: FILES_PER_PROJECT }, (_, i) => file(pypiPath(`${canonicalSpelling(claims[0]!.project)}-1.${i}-py3-none-any.whl`)))),
  }), [keys.offline]);
  const bin = await signed(new Targets({ version: 731, expires: Date.now() + DAY, targets: new Map(Array.from({ length: TARGETS_PER_BIN }, (_, i) => file(pypiPath(`project${i}-1.0-py3-none-any.whl`)))) }), [keys.online]);

  // Snapshot lists every targets role (spec 1.0.34; python-tuf and tuf-js): version-only entries, as the Worker writes them.
  const version = () => new MetaFile(730 + Math.floor(Math.random() * 1500));
  const meta = new Map<string, MetaFile>([["targets.json", new MetaFile(2)]]);
  for (const name of allBinNames(BITS)) meta.set(`${name}.json`, version());
  const binsOnly = await signed(new Snapshot({ version: 1_000_000, expires: Date.now() + DAY, meta: new Map(meta) }), [keys.online]);
  for (const name of [CLAIMED, RECENTLY_CLAIMED, UNCLAIMED, ...plan.parts.keys()]) meta.set(`${name}.json`, version());
  for (const claim of [...claims, ...recent]) meta.set(`${claimRoleName(claim)}.json`, new MetaFile(1 + Math.floor(Math.random() * 20)));
  const snapshot = await signed(new Snapshot({ version: 1_000_000, expires: Date.now() + DAY, meta }), [keys.online]);
  const timestamp = (s: Uint8Array) =>
    signed(new Timestamp({ version: 1_000_100, expires: Date.now() + DAY, snapshotMeta: new MetaFile(1_000_000, s.length, { sha256: sha256Hex(s) }) }), [keys.online]);
  const ts = await timestamp(snapshot);

  const partSizes = [...parts.values()].map((b) => b.length).sort((a, b) => a - b);
  return {
    claimedProjects: count,
    planMs: Math.round(planMs),
    targets: size(targets),
    claimed: { ...size(claimed), parts: parts.size, tufjsParseMs: tufjsParse(claimed) },
    parts: {
      largest: { name: largestPart[0], delegations: plan.parts.get(largestPart[0])!.delegations!.roles!.length, ...size(largestPart[1]), tufjsParseMs: tufjsParse(largestPart[1]) },
      medianRaw: partSizes[Math.floor(partSizes.length / 2)],
      totalRaw: partSizes.reduce((a, b) => a + b, 0),
    },
    recentlyClaimed: { claims: RECENT, ...size(recentlyClaimed) },
    unclaimed: size(unclaimed),
    snapshot: { entries: meta.size, ...size(snapshot), binsOnly: size(binsOnly), growth: { raw: snapshot.length - binsOnly.length, gzip: gzipSync(snapshot).length - gzipSync(binsOnly).length } },
    // A new installer verifying one file (root left out: the same in both layouts).
    newInstaller: {
      today: sum([await timestamp(binsOnly), binsOnly, targets, bin]),
      claimedProject: sum([ts, snapshot, targets, claimed, largestPart[1], project]),
      unclaimedProject: sum([ts, snapshot, targets, claimed, largestPart[1], recentlyClaimed, unclaimed, bin]),
    },
    projectRole: { files: FILES_PER_PROJECT, ...size(project) },
  };
}

/** tuf-js's cost to verify a project role of `files` targets signed by `k` keys (threshold k): it re-encodes the role once per key. */
async function tufjsVerify(k: number, files: number) {
  const signers = await Promise.all(Array.from({ length: k }, newSigner));
  const role = new Targets({ version: 1, expires: Date.now() + YEAR, targets: new Map(Array.from({ length: files }, (_, i) => file(pypiPath(`demo-1.${i}-py3-none-any.whl`)))) });
  const signedRole = JSON.parse((await new Metadata(role).sign(signers)).toString());
  const delegation = new DelegatedRole("project-demo", signers.map((s) => s.key.keyid), k, true, ["packages/*/*/*/demo-*"]);
  const parent = JSON.parse(new Metadata(new Targets({
    version: 1, expires: Date.now() + YEAR, delegations: new Delegations(Object.fromEntries(signers.map((s) => [s.key.keyid, s.key])), [delegation]),
  })).toString());
  const delegator = TufMetadata.fromJSON(MetadataKind.Targets, parent);
  const child = TufMetadata.fromJSON(MetadataKind.Targets, signedRole);
  const runs: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    delegator.verifyDelegate("project-demo", child);
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return { keys: k, files, bytes: JSON.stringify(signedRole).length, medianMs: Number(runs[Math.floor(runs.length / 2)]!.toFixed(2)) };
}

/** tuf-js's cost to parse one claimed part (every lookup of a claimed project parses one). */
function tufjsParse(bytes: Uint8Array) {
  const json = JSON.parse(new TextDecoder().decode(bytes));
  const t = performance.now();
  TufMetadata.fromJSON(MetadataKind.Targets, json);
  return Math.round(performance.now() - t);
}

const keys = { offline: await newSigner(), online: await newSigner() };
const layouts = [];
for (const count of counts) layouts.push(await layoutAt(count, keys));
const verify = [];
for (const files of [50, 1000]) for (const k of [1, 3, 5]) verify.push(await tufjsVerify(k, files));
const partParse = await (async () => {
  const names = projectNames(maxPerPart);
  const claims: Claim[] = names.map((project) => ({ project, keys: [maintainerKey()], threshold: 1 }));
  const part = await signed(claimsRole(claims, 1, Date.now() + YEAR), [keys.offline]);
  return { delegations: maxPerPart, bytes: part.length, tufjsParseMs: tufjsParse(part) };
})();
console.log(JSON.stringify({ bits: BITS, maxPerPart, layouts, tufjsVerifyProjectRole: verify, tufjsParseLargestPart: partParse }, null, 2));
