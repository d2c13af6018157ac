// An in-memory repository in the PEP 480 layout (shared/projects/), built with the shared/ model and
// served to tuf-js through a fetcher that reads a Map: targets → claimed → claimed-<part> → project
// roles (one with a friend's sub-delegation), recently-claimed, unclaimed → bins.
import { BaseFetcher } from "tuf-js";
import { DownloadHTTPError } from "tuf-js/dist/error.js";
import {
  DelegatedRole, Delegations, Metadata, MetaFile, Role, Root, Snapshot, TargetFile, Targets, Timestamp, allBinNames, binFor,
  ed25519Signer, randomSeed, sha256Hex, utf8, type Signed, type Signer,
} from "../../shared/index.js";
import {
  type Claim, RECENTLY_CLAIMED, UNCLAIMED, CLAIMED, claimDelegation, claimPatterns, claimsRole, layoutDelegations,
  migrateToProjectLayout, planClaimed, subPatterns, subRoleName, unclaimedRole,
} from "../../shared/projects/index.js";

export const DAY = 86_400_000;
export const BITS = 2;
/** Where each file lives (PyPI's shape) and what it holds. */
export const DIR = "packages/ab/cd/ef01";
export const PATH = {
  demoSdist: `${DIR}/demo-1.0.tar.gz`,
  demoWheel: `${DIR}/demo-1.0-py3-none-any.whl`,
  friendWin: `${DIR}/demo-1.0-cp312-cp312-win_amd64.whl`,
  friendLinux: `${DIR}/demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl`,
  fresh: `${DIR}/fresh-2.0.tar.gz`,
  plain: `${DIR}/plain-3.0-py3-none-any.whl`,
  rogueDemo: `${DIR}/demo-6.6.6-py3-none-any.whl`,
} as const;

export const content = (path: string): Uint8Array => utf8(`bytes of ${path}`);
export const fileFor = (path: string, bytes = content(path)) => new TargetFile(bytes.length, { sha256: sha256Hex(bytes) });

const sign = <T extends Signed>(signed: T, ...signers: Signer[]) => new Metadata(signed).sign(signers);
const newSigner = () => ed25519Signer(randomSeed());

export interface ProjectKeys {
  root: Signer;
  /** Signs targets, claimed and unclaimed at ceremonies. */
  offline: Signer;
  online: Signer;
  /** demo's two maintainers (threshold 2), and the friend who builds demo's Windows wheels. */
  alice: Signer;
  bob: Signer;
  friend: Signer;
  /** fresh: claimed since the last ceremony. */
  fresh: Signer;
}

export async function projectKeys(): Promise<ProjectKeys> {
  const [root, offline, online, alice, bob, friend, fresh] = await Promise.all(Array.from({ length: 7 }, newSigner));
  return { root: root!, offline: offline!, online: online!, alice: alice!, bob: bob!, friend: friend!, fresh: fresh! };
}

export const demoClaim = (k: ProjectKeys): Claim => ({ project: "demo", keys: [k.alice.key, k.bob.key], threshold: 2 });
export const freshClaim = (k: ProjectKeys): Claim => ({ project: "fresh", keys: [k.fresh.key], threshold: 1 });
/** A second claimed project, so claimed splits into parts (one claim a part). */
const otherClaim = (k: ProjectKeys): Claim => ({ project: "zeta", keys: [k.alice.key], threshold: 1 });

export interface State {
  now: number;
  /** Version of snapshot and timestamp (each state of the repository is a new one). */
  version: number;
  demo: { version: number; expires: number; signers: "maintainers" | "alice only" | "online" };
  /** What the friend's role lists. */
  friendPaths: string[];
  /** What the bins list besides plain's file: the online key's own entries (the attack). */
  binExtras: Map<string, TargetFile>;
  /** Claims: false for a repository in which demo is unclaimed. */
  demoClaimed: boolean;
  /** Roles the snapshot leaves out (a removal attempted with the online key). */
  dropFromSnapshot: string[];
  /** Today's layout (targets → bins), the same moved by a targets ceremony, or PEP 480 with claims. */
  layout: "pep458" | "migrated" | "pep480";
}

export const initialState = (now: number): State => ({
  now,
  version: 1,
  demo: { version: 1, expires: now + 365 * DAY, signers: "maintainers" },
  friendPaths: [PATH.friendWin],
  binExtras: new Map(),
  demoClaimed: true,
  dropFromSnapshot: [],
  layout: "pep480",
});

export interface Built {
  files: Map<string, Uint8Array>;
  root: Metadata<Root>;
  snapshot: Metadata<Snapshot>;
}

/** Every metadata file of the state, by the name a client fetches it under. */
export async function build(k: ProjectKeys, s: State): Promise<Built> {
  const year = s.now + 365 * DAY;
  const day = s.now + DAY;
  const online = [k.online.key];
  const root = await sign(new Root({
    version: 1, expires: year,
    keys: Object.fromEntries([k.root, k.offline, k.online].map((x) => [x.key.keyid, x.key])),
    roles: {
      root: new Role([k.root.key.keyid], 1), targets: new Role([k.offline.key.keyid], 1),
      snapshot: new Role([k.online.key.keyid], 1), timestamp: new Role([k.online.key.keyid], 1),
    },
  }), k.root);
  const roles = new Map<string, Metadata<Targets>>();
  const binTargets = new Map([[PATH.plain, fileFor(PATH.plain)], ...s.binExtras]);
  for (const name of allBinNames(BITS)) {
    const targets = new Map([...binTargets].filter(([p]) => binFor(p, BITS) === name));
    roles.set(name, await sign(new Targets({ version: 1, expires: day, targets }), k.online));
  }
  if (s.layout !== "pep480") {
    // Today's targets: every path to the bins (what ceremony init writes).
    const today = unclaimedRole(online, BITS, 1, year);
    if (s.layout === "pep458") roles.set("targets", await sign(today, k.offline));
    else {
      const moved = migrateToProjectLayout(today, { offline: [k.offline.key], offlineThreshold: 1, online }, { offline: year, online: day });
      roles.set("targets", await sign(moved.targets, k.offline));
      for (const [name, role] of moved.roles) roles.set(name, await sign(role, name === RECENTLY_CLAIMED ? k.online : k.offline));
    }
    return serve(k, s, root, roles);
  }
  const offline = { offline: [k.offline.key], threshold: 1 };
  roles.set("targets", await sign(new Targets({ version: 1, expires: year, delegations: layoutDelegations({ offline: [k.offline.key], offlineThreshold: 1, online }) }), k.offline));
  const claims = [...(s.demoClaimed ? [demoClaim(k)] : []), otherClaim(k)];
  const plan = planClaimed(claims, offline, 1, year, { maxPerPart: 1 });
  roles.set(CLAIMED, await sign(plan.claimed, k.offline));
  for (const [name, part] of plan.parts) roles.set(name, await sign(part, k.offline));
  roles.set(RECENTLY_CLAIMED, await sign(claimsRole([freshClaim(k)], 1, day), k.online));
  roles.set(UNCLAIMED, await sign(unclaimedRole(online, BITS, 1, year), k.offline));
  if (s.demoClaimed) {
    const demoPatterns = claimPatterns(demoClaim(k));
    const friend = new DelegatedRole(subRoleName("demo", "win"), [k.friend.key.keyid], 1, true, subPatterns(demoPatterns, "*-win*.whl"));
    const demo = new Targets({
      version: s.demo.version, expires: s.demo.expires,
      targets: new Map([PATH.demoSdist, PATH.demoWheel].map((p) => [p, fileFor(p)])),
      delegations: new Delegations({ [k.friend.key.keyid]: k.friend.key }, [friend]),
    });
    const signers = s.demo.signers === "maintainers" ? [k.alice, k.bob] : s.demo.signers === "alice only" ? [k.alice] : [k.online];
    roles.set(claimDelegation(demoClaim(k)).name, await sign(demo, ...signers));
    roles.set(friend.name, await sign(new Targets({ version: 1, expires: year, targets: new Map(s.friendPaths.map((p) => [p, fileFor(p)])) }), k.friend));
  }
  roles.set(claimDelegation(freshClaim(k)).name, await sign(new Targets({ version: 1, expires: year, targets: new Map([[PATH.fresh, fileFor(PATH.fresh)]]) }), k.fresh));
  return serve(k, s, root, roles);
}

/** Snapshot and timestamp over `roles`, and every file by the name a client fetches it under. */
async function serve(k: ProjectKeys, s: State, root: Metadata<Root>, roles: Map<string, Metadata<Targets>>): Promise<Built> {
  const day = s.now + DAY;

  const meta = new Map([...roles].filter(([name]) => !s.dropFromSnapshot.includes(name)).map(([name, md]) => [`${name}.json`, new MetaFile(md.signed.version)]));
  const snapshot = await sign(new Snapshot({ version: s.version, expires: day, meta }), k.online);
  const snapshotBytes = snapshot.toBytes();
  const timestamp = await sign(new Timestamp({
    version: s.version, expires: day, snapshotMeta: new MetaFile(s.version, snapshotBytes.length, { sha256: sha256Hex(snapshotBytes) }),
  }), k.online);
  const files = new Map<string, Uint8Array>([
    ["metadata/1.root.json", root.toBytes()],
    [`metadata/${s.version}.snapshot.json`, snapshotBytes],
    ["metadata/timestamp.json", timestamp.toBytes()],
    ...[...roles].map(([name, md]) => [`metadata/${md.signed.version}.${name}.json`, md.toBytes()] as [string, Uint8Array]),
  ]);
  // Every target's bytes, at the hash-prefixed name clients fetch with consistent snapshots.
  for (const path of Object.values(PATH)) {
    const bytes = content(path);
    const dir = path.slice(0, path.lastIndexOf("/"));
    files.set(`targets/${dir}/${sha256Hex(bytes)}.${path.slice(dir.length + 1)}`, bytes);
  }
  return { files, root, snapshot };
}

/** Serves a Map of files to tuf-js by URL path (`metadata/…`, `targets/…`); anything else is a 404. */
export class MemoryFetcher extends BaseFetcher {
  /** What was asked for, by name (`metadata/1.project-demo.json`). */
  readonly requested: string[] = [];

  constructor(
    public files: Map<string, Uint8Array>,
    private readonly base = "http://repo.test/",
  ) {
    super();
  }

  override async fetch(url: string): Promise<ReadableStream<Uint8Array<ArrayBuffer>>> {
    const name = decodeURIComponent(url.startsWith(this.base) ? url.slice(this.base.length) : url);
    this.requested.push(name);
    const bytes = this.files.get(name);
    if (!bytes) throw new DownloadHTTPError(`GET ${url}: HTTP 404`, 404);
    return new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes) as Uint8Array<ArrayBuffer>);
        controller.close();
      },
    });
  }
}
