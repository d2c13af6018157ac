import { type Metadata, type Root, TOP_LEVEL_ROLES, type Targets, binName } from "../../shared/index.js";
import type { Ceremony } from "./ceremony.js";
import { describeExpiry } from "./duration.js";
import type { Io } from "./io.js";
import { formatStatus, signatureStatus } from "./signoff.js";

/** `title`, what the ceremony holds, and (with `withStatus`) the signatures each role still lacks. */
export function printCeremony(io: Io, title: string, c: Ceremony, withStatus = true): void {
  io.out(title);
  for (const line of describeCeremony(c, Date.now())) io.out(`  ${line}`);
  if (withStatus) for (const line of formatStatus(signatureStatus(c))) io.out(line);
}

/** What a key holder is about to sign, in words: roles, keys, thresholds, and what changed. */
export function describeCeremony(c: Ceremony, now: number): string[] {
  const lines: string[] = [];
  if (c.root) lines.push(...describeRoot(c.root, c.trustedRoot, now));
  if (c.targets) lines.push(...describeTargets("targets", c.targets, now));
  for (const [name, role] of c.roles ?? []) lines.push(...describeTargets(name, role, now));
  return lines;
}

function describeRoot(root: Metadata<Root>, trusted: Metadata<Root> | undefined, now: number): string[] {
  const s = root.signed;
  const lines = [`root v${s.version} (consistent_snapshot ${s.consistentSnapshot}), expires ${describeExpiry(s.expires, now)}`];
  for (const name of TOP_LEVEL_ROLES) {
    const role = s.roles[name];
    const before = trusted?.signed.roles[name];
    const added = role.keyids.filter((id) => before && !before.keyids.includes(id));
    const removed = before?.keyids.filter((id) => !role.keyids.includes(id)) ?? [];
    const change = [
      before && before.threshold !== role.threshold ? `threshold was ${before.threshold}` : "",
      added.length ? `added ${added.join(", ")}` : "",
      removed.length ? `removed ${removed.join(", ")}` : "",
    ].filter(Boolean);
    lines.push(`  ${name}: ${role.threshold} of ${role.keyids.join(", ")}${change.length ? `  [${change.join("; ")}]` : ""}`);
  }
  return lines;
}

/** Delegations listed one a line, up to this many: a part of claimed may hold a thousand claims. */
const MAX_LISTED = 10;

function describeTargets(name: string, targets: Metadata<Targets>, now: number): string[] {
  const s = targets.signed;
  const lines = [`${name} v${s.version}, expires ${describeExpiry(s.expires, now)}, ${s.targets.size} targets listed`];
  const bins = s.delegations?.succinctRoles;
  if (bins) {
    const range = `${binName(0, bins.bitLength, bins.namePrefix)} … ${binName(bins.numberOfBins - 1, bins.bitLength, bins.namePrefix)}`;
    lines.push(`  bins: ${bins.numberOfBins} succinct roles (${range}), ${bins.threshold} of ${bins.keyids.join(", ")}`);
  }
  const roles = s.delegations?.roles ?? [];
  for (const r of roles.slice(0, MAX_LISTED)) lines.push(`  delegates to ${r.name}: ${r.threshold} of ${r.keyids.join(", ")}`);
  if (roles.length > MAX_LISTED) lines.push(`  and to ${roles.length - MAX_LISTED} more roles (${roles.at(-1)!.name} the last)`);
  return lines;
}
