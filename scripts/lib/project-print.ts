import { describeExpiry } from "./duration.js";
import type { Io } from "./io.js";
import { type ProjectFile, holder, projectStatus } from "./project-file.js";

/** What a maintainer is about to sign, in words, then who has signed and who is missing. */
export function describeProject(f: ProjectFile, now: number): string[] {
  const s = f.metadata.signed;
  const lines = [
    `${f.role} v${s.version} (project ${f.project}), expires ${describeExpiry(s.expires, now)}`,
    `  signed by ${f.threshold} of: ${Object.keys(f.keys).map((id) => `${holder(f, id)} (${id.slice(0, 16)}…)`).join(", ")}`,
    `  covers: ${f.paths.join("  ")}`,
    `  ${s.targets.size} file${s.targets.size === 1 ? "" : "s"} listed${s.targets.size ? ":" : ""}`,
    ...[...s.targets].map(([path, t]) => `    ${path}  ${t.length} bytes  sha256 ${t.hashes.sha256 ?? "?"}`),
  ];
  for (const r of s.delegations?.roles ?? []) lines.push(`  delegates to ${r.name}: ${r.threshold} of ${r.keyids.map((id) => id.slice(0, 16)).join(", ")}, for ${r.paths?.join("  ")}`);
  const bins = s.delegations?.succinctRoles;
  if (bins) lines.push(`  delegates to ${bins.numberOfBins} bins ${bins.namePrefix}-…, ${bins.threshold} of ${bins.keyids.map((id) => id.slice(0, 16)).join(", ")}`);
  return lines;
}

export function signatureLine(f: ProjectFile, now: number): string {
  const st = projectStatus(f, now);
  const count = `${st.signedBy.length} of ${st.threshold} signatures`;
  if (st.complete) return `${count}: complete, ready to push${st.signedBy.length ? ` (signed by ${st.signedBy.join(", ")})` : ""}`;
  const need = st.threshold - st.signedBy.length;
  const who = need === st.missing.length ? st.missing.join(", ") : `any ${need} of ${st.missing.join(", ")}`;
  return `${count}: ${need} more needed from ${who}${st.signedBy.length ? `; signed by ${st.signedBy.join(", ")}` : ""}`;
}

export function printProject(io: Io, title: string, f: ProjectFile, now = Date.now()): void {
  io.out(title);
  for (const line of describeProject(f, now)) io.out(`  ${line}`);
  io.out(signatureLine(f, now));
}
