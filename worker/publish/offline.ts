import { FieldError, VerificationError } from "../../shared/errors.js";
import type { Signer } from "../../shared/keys.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import type { Role, Root } from "../../shared/metadata/root.js";
import type { SuccinctRoles, Targets } from "../../shared/metadata/targets.js";
import { formatExpires, isExpired } from "../../shared/time.js";

/**
 * Checks on offline-signed metadata before the Worker stores it (invariant 7): thresholds, the
 * root chain, and that the roles the Worker signs name exactly keys it holds — whatever token
 * the caller presented.
 */

function parse<K extends "root" | "targets">(json: unknown, type: K, field: string) {
  try {
    return Metadata.fromJSON(json, type);
  } catch (e) {
    if (e instanceof FieldError) throw new FieldError(e.field ? `${field}.${e.field}` : field, e.reason);
    throw e;
  }
}

function notExpired(name: string, expires: number, now: number) {
  if (isExpired(expires, now)) throw new VerificationError("expired", `${name} expired at ${formatExpires(expires)}`);
}

/** The online roles must be signable by the Worker's keys alone, and the offline ones never by them. */
function checkKeySeparation(root: Root, bins: SuccinctRoles, signers: readonly Signer[]) {
  const online = new Set(signers.map((s) => s.key.keyid));
  const needOnline: [string, Role | SuccinctRoles][] = [
    ["root.signed.roles.timestamp", root.roles.timestamp],
    ["root.signed.roles.snapshot", root.roles.snapshot],
    ["targets.signed.delegations.succinct_roles", bins],
  ];
  for (const [field, role] of needOnline) {
    const ours = role.keyids.filter((k) => online.has(k)).length;
    if (ours < role.threshold) {
      throw new FieldError(`${field}.keyids`, `must list the Worker's online key (${[...online].join(", ")}) for its threshold of ${role.threshold}`);
    }
  }
  for (const field of ["root", "targets"] as const) {
    if (root.roles[field].keyids.some((k) => online.has(k))) {
      throw new FieldError(`root.signed.roles.${field}.keyids`, "must not list an online key: root and targets are signed offline");
    }
  }
}

function succinctOf(targets: Targets): SuccinctRoles {
  const bins = targets.delegations?.succinctRoles;
  if (!bins) throw new FieldError("targets.signed.delegations.succinct_roles", "is required: targets delegates to hashed bins");
  if (bins.bitLength > 16) throw new FieldError("targets.signed.delegations.succinct_roles.bit_length", "must be at most 16");
  return bins;
}

/** Verifies targets against the root that delegates it. */
export function verifyTargets(json: unknown, root: Root, signers: readonly Signer[], now: number) {
  const targets = parse(json, "targets", "targets");
  targets.verifyDelegate("targets", root.roles.targets, root.keys);
  notExpired("targets", targets.signed.expires, now);
  const bins = succinctOf(targets.signed);
  checkKeySeparation(root, bins, signers);
  return { targets, bins };
}

export function verifyBootstrap(rootJson: unknown, targetsJson: unknown, signers: readonly Signer[], now: number) {
  const root = parse(rootJson, "root", "root");
  if (root.signed.version !== 1) throw new FieldError("root.signed.version", "a new repository starts at root version 1");
  root.verifyDelegate("root", root.signed.roles.root, root.signed.keys);
  notExpired("root", root.signed.expires, now);
  if (!root.signed.consistentSnapshot) throw new FieldError("root.signed.consistent_snapshot", "must be true");
  return { root, ...verifyTargets(targetsJson, root.signed, signers, now) };
}

/** Spec §5.3.4: root N+1 is signed by a threshold of root N's root keys and of its own. */
export function verifyNextRoot(json: unknown, current: Root, now: number) {
  const next = parse(json, "root", "root");
  if (next.signed.version !== current.version + 1) {
    throw new FieldError("root.signed.version", `must be ${current.version + 1} (the current root is ${current.version})`);
  }
  next.verifyDelegate(`root ${next.signed.version} (by root ${current.version}'s keys)`, current.roles.root, current.keys);
  next.verifyDelegate(`root ${next.signed.version} (by its own keys)`, next.signed.roles.root, next.signed.keys);
  notExpired("root", next.signed.expires, now);
  if (!next.signed.consistentSnapshot) throw new FieldError("root.signed.consistent_snapshot", "must be true");
  return next;
}
