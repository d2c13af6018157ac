import type { Io } from "./io.js";
import { CliError } from "./errors.js";
import { type Answer, printAnswer, request } from "./http.js";
import { pollUntil } from "./poll.js";

interface JobAnswer {
  readonly job?: string;
  readonly kind?: string;
  readonly steps?: number;
  readonly resign?: boolean;
}

interface JobStatus {
  readonly id?: string;
  readonly kind?: string;
  readonly done?: number;
  readonly steps?: number;
  readonly finished?: string;
  readonly error?: string;
}

/**
 * What `rotate` and `targets` print for an admin answer: one readable line (the raw JSON with
 * `--json`), then, with `--wait`, progress until the job ends: its versions when it published, its
 * reason (exit 1) when it failed. A 4xx/5xx throws with the server's reason, as printAnswer does.
 */
export async function reportJob(io: Io, url: string, answer: Answer, what: string, o: { wait?: boolean; json?: boolean }): Promise<void> {
  if (!answer.ok || o.json) printAnswer(io, answer);
  const job = answer.body as JobAnswer;
  if (!o.json) {
    const steps = job.steps === undefined ? "" : `, ${job.steps} step${job.steps === 1 ? "" : "s"}`;
    const resign = job.resign ? "; every bin is re-signed first" : "";
    io.out(`accepted: ${what}, job ${job.job} (${job.kind ?? "publish"}${steps})${resign}`);
    if (!o.wait) io.out(`follow it with \`tuf-edge status\`, or pass --wait`);
  }
  if (!o.wait || !job.job) return;
  const ended = await pollUntil<JobStatus>(`the job ${job.job}`, async () => {
    const status = (await request(`${url}/v1/status`)).body as { job?: JobStatus | null };
    const current = status.job;
    if (!current || current.id !== job.job) return undefined;
    if (current.error) throw new CliError(`the job ${job.job} (${what}) failed: ${current.error}`);
    if (current.finished) return current;
    io.progress(`job ${job.job}: step ${current.done ?? 0} of ${current.steps ?? "?"}`);
    return undefined;
  }, { timeoutMs: 30 * 60_000, intervalMs: 1000 });
  io.progress("");
  const versions = await publishedVersions(url);
  io.out(`done: ${what} published (job ${job.job}, ${ended.steps ?? "?"} steps)${versions ? `; now ${versions}` : ""}`);
}

/** "root v3, targets v2" from GET /v1/status, or null when it does not say. */
async function publishedVersions(url: string): Promise<string | null> {
  const status = (await request(`${url}/v1/status`)).body as { roles?: Record<string, { version?: number }> } | null;
  const roles = status?.roles;
  if (!roles) return null;
  const parts = ["root", "targets"].filter((r) => roles[r]?.version !== undefined).map((r) => `${r} v${roles[r]!.version}`);
  return parts.length ? parts.join(", ") : null;
}
