import { checkNextRoot, checkNotExpired } from "./client.js";
import { FieldError } from "./errors.js";
import { Metadata } from "./metadata/metadata.js";
import type { Role, Root } from "./metadata/root.js";
import type { SuccinctRoles, Targets } from "./metadata/targets.js";

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

/** The roles the Worker signs, by the field that names their keys. */
const onlineRoles = (root: Root, bins: SuccinctRoles): [string, Role | SuccinctRoles][] => [
  ["root.signed.roles.timestamp", root.roles.timestamp],
  ["root.signed.roles.snapshot", root.roles.snapshot],
  ["targets.signed.delegations.succinct_roles", bins],
];

/** The online roles' key ids, as one comparable string: when it changes, every bin is re-signed. */
export const onlineKeyids = (root: Root, bins: SuccinctRoles): string =>
  onlineRoles(root, bins).map(([, role]) => [...role.keyids].sort().join(",")).join("|");

/** No key signs both an online role and an offline one: a key the Worker holds never signs root or targets. */
function checkKeySeparation(root: Root, bins: SuccinctRoles) {
  const online = new Set(onlineRoles(root, bins).flatMap(([, role]) => role.keyids));
  for (const field of ["root", "targets"] as const) {
    const shared = root.roles[field].keyids.find((k) => online.has(k));
    if (shared) throw new FieldError(`root.signed.roles.${field}.keyids`, `must not list an online key (${shared}): root and targets are signed offline`);
  }
}

/** The writer's half of key separation: each online role is signable by `keyids` (the keys it holds) alone. */
export function checkOnlineKeys(root: Root, bins: SuccinctRoles, keyids: readonly string[]) {
  const held = new Set(keyids);
  for (const [field, role] of onlineRoles(root, bins)) {
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

/** Verifies targets against the root that delegates it. */
export function verifyTargets(json: unknown, root: Root, now: number) {
  const targets = parse(json, "targets", "targets");
  targets.verifyDelegate("targets", root.roles.targets, root.keys);
  checkNotExpired("targets", targets.signed.expires, now);
  const bins = binsOf(targets.signed);
  checkKeySeparation(root, bins);
  return { targets, bins };
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
