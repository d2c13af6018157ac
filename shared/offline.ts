import { checkNextRoot, checkNotExpired } from "./client.js";
import { FieldError } from "./errors.js";
import { Metadata } from "./metadata/metadata.js";
import type { Role, Root } from "./metadata/root.js";
import type { DelegatedRole, SuccinctRoles, Targets } from "./metadata/targets.js";
import { type CheckedLayout, type PublishedRoles, verifyLayout } from "./projects/ceremony.js";
import { isProjectLayout } from "./projects/layout.js";

/**
 * Checks on offline-signed metadata before the Worker publishes it (invariant 7): thresholds, the
 * root chain and expiry by the client's own rules (shared/client.ts), tuf-edge's layout, and key
 * separation. None needs a key: the request path runs them all, and the writer, which holds the
 * online keys, adds checkOnlineKeys before a job publishes anything (worker/publish/jobs.ts).
 */

function parse<K extends "root" | "targets">(json: unknown, type: K, field: string) {
  try {
    return Metadata.fromJSON(json, type);
  } catch (e) {
    if (e instanceof FieldError) throw new FieldError(e.field ? `${field}.${e.field}` : field, e.reason);
    throw e;
  }
}

/**
 * The delegated roles the Worker signs: the bins, and in PEP 480's layout recently-claimed
 * (shared/projects/): what targets (or unclaimed) delegates to them.
 */
export interface OnlineDelegations {
  readonly bins: SuccinctRoles;
  readonly recentlyClaimed?: DelegatedRole;
}

/** The roles the Worker signs, by the field that names their keys. */
const onlineRoles = (root: Root, d: OnlineDelegations): [string, Role | SuccinctRoles | DelegatedRole][] => [
  ["root.signed.roles.timestamp", root.roles.timestamp],
  ["root.signed.roles.snapshot", root.roles.snapshot],
  [d.recentlyClaimed ? "roles.unclaimed.signed.delegations.succinct_roles" : "targets.signed.delegations.succinct_roles", d.bins],
  ...(d.recentlyClaimed ? [["targets.signed.delegations.roles.recently-claimed", d.recentlyClaimed] as [string, DelegatedRole]] : []),
];

/**
 * The key ids of the roles whose files live on (timestamp, snapshot, the bins), as one comparable
 * string: when it changes, every bin is re-signed. (recently-claimed is one file, re-signed by the
 * commit that publishes a ceremony's roles.)
 */
export const onlineKeyids = (root: Root, d: OnlineDelegations): string =>
  onlineRoles(root, { bins: d.bins }).map(([, role]) => [...role.keyids].sort().join(",")).join("|");

/**
 * No key signs both an online role and an offline one: a key the Worker holds never signs root,
 * targets, claimed, unclaimed, or a claimed project's role (invariant 10).
 */
function checkKeySeparation(root: Root, d: OnlineDelegations, layout?: CheckedLayout, targets?: Targets) {
  const online = new Set(onlineRoles(root, d).flatMap(([, role]) => role.keyids));
  for (const field of ["root", "targets"] as const) {
    const shared = root.roles[field].keyids.find((k) => online.has(k));
    if (shared) throw new FieldError(`root.signed.roles.${field}.keyids`, `must not list an online key (${shared}): root and targets are signed offline`);
  }
  if (!layout) return;
  for (const role of targets!.delegations!.roles!.filter((r) => r !== layout.recentlyClaimed)) {
    const shared = role.keyids.find((k) => online.has(k));
    if (shared) throw new FieldError(`targets.signed.delegations.roles.${role.name}.keyids`, `must not list an online key (${shared}): ${role.name} is signed offline`);
  }
  for (const claim of layout.claims) {
    const shared = claim.keyids.find((k) => online.has(k));
    if (shared) throw new FieldError(`roles.claimed.${claim.name}.keyids`, `must not list an online key (${shared}): the online key cannot sign for a claimed project`);
  }
}

/** The writer's half of key separation: each online role is signable by `keyids` (the keys it holds) alone. */
export function checkOnlineKeys(root: Root, d: OnlineDelegations, keyids: readonly string[]) {
  const held = new Set(keyids);
  for (const [field, role] of onlineRoles(root, d)) {
    if (role.keyids.filter((k) => held.has(k)).length < role.threshold) {
      throw new FieldError(`${field}.keyids`, `must list the Worker's online key (${keyids.join(", ")}) for its threshold of ${role.threshold}`);
    }
  }
}

/** The succinct hashed bins a tuf-edge targets role delegates to. */
export function binsOf(targets: Targets): SuccinctRoles {
  const bins = targets.delegations?.succinctRoles;
  if (!bins) throw new FieldError("targets.signed.delegations.succinct_roles", "is required: targets delegates to hashed bins");
  if (bins.bitLength > 16) throw new FieldError("targets.signed.delegations.succinct_roles.bit_length", "must be at most 16");
  return bins;
}

/** The roles a ceremony submits beside targets in PEP 480's layout, and what is published of them. */
export interface LayoutRoles {
  readonly roles: Readonly<Record<string, unknown>>;
  readonly published: PublishedRoles;
}

/**
 * Verifies targets against the root that delegates it: delegating to hashed bins (PEP 458), or in
 * PEP 480's layout with the roles of `layout` (shared/projects/ceremony.ts).
 */
export function verifyTargets(json: unknown, root: Root, now: number, layout?: LayoutRoles) {
  const targets = json instanceof Metadata ? (json as Metadata<Targets>) : parse(json, "targets", "targets");
  targets.verifyDelegate("targets", root.roles.targets, root.keys);
  checkNotExpired("targets", targets.signed.expires, now);
  if (isProjectLayout(targets.signed)) {
    if (!layout) throw new FieldError("roles", "are required: targets delegates in PEP 480's layout (claimed, recently-claimed, unclaimed)");
    const checked = verifyLayout(targets.signed, layout.roles, layout.published, now);
    const online = { bins: checked.bins, recentlyClaimed: checked.recentlyClaimed };
    checkKeySeparation(root, online, checked, targets.signed);
    return { targets, bins: checked.bins, online, layout: checked };
  }
  if (layout && Object.keys(layout.roles).length) throw new FieldError("roles", "are only for targets in PEP 480's layout (claimed, recently-claimed, unclaimed)");
  const bins = binsOf(targets.signed);
  checkKeySeparation(root, { bins });
  return { targets, bins, online: { bins } as OnlineDelegations, layout: undefined };
}

/** Root v1, trusted on first use: signed by its own threshold. */
export function verifyBootstrap(rootJson: unknown, targetsJson: unknown, now: number) {
  const root = parse(rootJson, "root", "root");
  if (root.signed.version !== 1) throw new FieldError("root.signed.version", "a new repository starts at root version 1");
  root.verifyDelegate("root", root.signed.roles.root, root.signed.keys);
  checkNotExpired("root", root.signed.expires, now);
  if (!root.signed.consistentSnapshot) throw new FieldError("root.signed.consistent_snapshot", "must be true");
  return { root, ...verifyTargets(targetsJson, root.signed, now) };
}

/** Root N+1 after the current root N: the client's chain rule, not expired, consistent snapshots. */
export function verifyNextRoot(json: unknown, current: Root, now: number) {
  const next = parse(json, "root", "root");
  checkNextRoot(next, current);
  checkNotExpired("root", next.signed.expires, now);
  if (!next.signed.consistentSnapshot) throw new FieldError("root.signed.consistent_snapshot", "must be true");
  return next;
}
