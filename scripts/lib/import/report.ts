import { formatDuration } from "../duration.js";
import type { Io } from "../io.js";
import type { TargetRejection } from "./state.js";

export interface ImportSummary {
  readonly complete: boolean;
  readonly resumed: boolean;
  readonly stateFile: string;
  readonly lines: number;
  /** Distinct targets of the listing. */
  readonly targets: number;
  readonly duplicates: number;
  readonly requests: number;
  readonly requestsDone: number;
  /** Requests that the server gave up on (sent again by the next run). */
  readonly failed: readonly { readonly file: string; readonly reason: string }[];
  /** Targets in published requests, and of those the ones refused (conflicts). */
  readonly sent: number;
  readonly published: number;
  readonly rejected: number;
  readonly reasons: readonly TargetRejection[];
  readonly splitBins: number;
  /** The most listing lines held in memory at once (pass 2 of this run). */
  readonly maxLinesHeld?: number;
  readonly elapsedMs: number;
  readonly phasesMs: { readonly partition: number; readonly plan: number; readonly send: number };
  /** Targets sent and published in this run, per second of this run. */
  readonly targetsPerSecond: number;
}

/** A throttled progress line: a bar, the counts and the time left at the rate so far. */
export function progressReporter(io: Io) {
  let last = 0;
  return (label: string, done: number, total: number, startedMs: number, detail: string, force = false) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(fraction * 24);
    const elapsed = now - startedMs;
    const eta = fraction > 0 && fraction < 1 ? `, ETA ${formatDuration((elapsed * (1 - fraction)) / fraction)}` : "";
    io.progress(`${label} [${"#".repeat(filled)}${"-".repeat(24 - filled)}] ${(fraction * 100).toFixed(0)}% ${detail}${eta}`);
  };
}

const n = (x: number) => x.toLocaleString("en");
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The summary as the command prints it. */
export function summaryLines(s: ImportSummary): string[] {
  return [
    `${s.complete ? "imported" : "import incomplete"}: ${n(s.targets)} targets from ${n(s.lines)} lines` +
      (s.duplicates ? ` (${n(s.duplicates)} duplicate lines sent once)` : "") +
      `, in ${n(s.requests)} requests (${n(s.requestsDone)} done${s.resumed ? ", resumed" : ""})`,
    `  sent:      ${n(s.sent)} targets`,
    `  published: ${n(s.published)} (new, or already published with the same length and hashes)`,
    `  rejected:  ${n(s.rejected)}`,
    ...s.reasons.slice(0, 5).map((r) => `    ${r.path}: ${r.reason}`),
    ...(s.rejected > 5 ? [`    … every rejection is listed by GET /v1/uploads/{id} (the ids are in ${s.stateFile})`] : []),
    ...(s.splitBins ? [`  ${n(s.splitBins)} bins were larger than one request and were split`] : []),
    ...s.failed.map((f) => `  failed:    ${f.file}: ${f.reason} (sent again by the next run)`),
    `  elapsed:   ${seconds(s.elapsedMs)} (read ${seconds(s.phasesMs.partition)}, group ${seconds(s.phasesMs.plan)}, ` +
      `publish ${seconds(s.phasesMs.send)}), ${n(Math.round(s.targetsPerSecond))} targets/s`,
  ];
}
