import { Hono } from "hono";
import { MAX_BIN_BYTES } from "../../shared/bins.js";
import { binAt, duePosition, oldestBinSignature, renewalPeriod } from "../../shared/renewal.js";
import { CLAIMED, RECENTLY_CLAIMED, UNCLAIMED } from "../../shared/projects/layout.js";
import { formatExpires } from "../../shared/time.js";
import { type AppEnv, type Config, type Env, readConfig } from "../env.js";
import { recentCommits } from "../storage/commits.js";
import { type CronState, readCronState } from "../storage/cron-state.js";
import { type Job, JobStore } from "../storage/jobs.js";
import { countProjects } from "../storage/projects.js";
import { publishedRole } from "../storage/claims.js";
import { type SequencerStatus, sequencerOn, sequencerStatus } from "../storage/inbox.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { readOnlineKeys } from "../storage/online-keys.js";
import { oldestPending } from "../storage/pending.js";
import { type RepoState, findTarget, loadState, readBin, readRoot, roleVersion } from "../storage/repository.js";
import { UploadStore } from "../storage/uploads.js";
import { collectCharts } from "./status-charts.js";
import { renderStatusPage } from "./status-page.js";
import type { BinsStatus, RoleExpiry, Status, Warning } from "./status-report.js";
import { rejectionFacts, rejectionWarning } from "./status-uploads.js";

/** GET /v1/status (JSON, for monitors) and GET / (the same facts as a page, for operators). */
export const statusRoutes = new Hono<AppEnv>();

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Offline roles (root, targets) get a warning this long before they expire: time for a ceremony. */
export const OFFLINE_WARNING = 30 * DAY;
/** An upload not published after this long is worth a look. */
export const PENDING_WARNING = 5 * MINUTE;
/** Without a recorded cron run, assume the interval of wrangler.toml's trigger. */
const DEFAULT_INTERVAL_SECONDS = 300;

const seconds = (ms: number) => Math.floor(ms / 1000);
const expiry = (version: number, expires: number, now: number): RoleExpiry => ({
  version,
  expires: formatExpires(expires),
  expiresInSeconds: seconds(expires - now),
});

/** When the bin the schedule renews next expires: the one signed longest ago (shared/renewal.ts). */
async function binExpires(store: MetadataStore, s: RepoState): Promise<number | null> {
  const name = binAt(s.notes.renewCursor, s.bins);
  const role = await readBin(store, name, roleVersion(s, name)).catch(() => null);
  return role ? role.head.expires : null;
}

function binsStatus(s: RepoState, config: Config, cron: CronState | null, now: number, cursorBinExpires: number | null): BinsStatus & { expiresMs: number } {
  const count = s.bins.numberOfBins;
  const period = renewalPeriod(config);
  const cursor = s.notes.renewCursor;
  const catchUp = cron?.binsCatchUp;
  const catchingUp = catchUp !== undefined && cursor < catchUp.until;
  // Signed expiries are whole seconds, rounded down.
  const scheduled = Math.floor((oldestBinSignature(cursor, count, period, catchUp) + config.binsExpiry) / 1000) * 1000;
  const expiresMs = catchingUp || cursorBinExpires === null ? scheduled : cursorBinExpires;
  const oldest = expiresMs - config.binsExpiry;
  let min = Infinity, max = 0;
  for (const [name, meta] of s.snapshot.signed.meta) {
    if (name === "targets.json") continue;
    min = Math.min(min, meta.version);
    max = Math.max(max, meta.version);
  }
  return {
    count,
    bitLength: s.bins.bitLength,
    namePrefix: s.bins.namePrefix,
    versions: { min, max },
    renewCursor: cursor,
    renewalPeriodSeconds: seconds(period),
    behind: Math.max(0, duePosition(now, period, count) - cursor),
    catchingUp,
    oldestSignedAfter: new Date(oldest).toISOString(),
    expires: formatExpires(expiresMs),
    expiresInSeconds: seconds(expiresMs - now),
    expiresMs,
  };
}

const left = (ms: number) => {
  const m = Math.round(Math.abs(ms) / MINUTE);
  const text = m >= 120 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
};

interface Facts {
  readonly expiries: { readonly role: string; readonly expires: number; readonly renewMargin?: number }[];
  readonly intervalMs: number;
  readonly lastCron: CronState["lastRun"] | null;
  readonly publishedSince: number;
  readonly oldestPending: number | null;
  readonly backlog: boolean;
  readonly jobError?: string;
  readonly sequencer?: SequencerStatus | null;
  /** The largest bin recent commits wrote. */
  readonly largestBin?: { readonly name: string; readonly bytes: number };
}

/**
 * What needs an operator. Online roles are renewed once they are within their margin, at the next
 * run; one that is still inside the margin two runs later means renewal is not happening.
 */
export function warningsFor(f: Facts, now: number): Warning[] {
  const out: Warning[] = [];
  const grace = 2 * f.intervalMs;
  for (const { role, expires, renewMargin } of f.expiries) {
    if (expires <= now) {
      out.push({ level: "critical", kind: "expired", role, message: `${role} expired ${left(expires - now).replace(" ago", "")} ago: clients refuse the repository` });
    } else if (renewMargin !== undefined && expires - now < renewMargin - grace) {
      out.push({ level: "warning", kind: "renewal-overdue", role, message: `${role} expires ${left(expires - now)}; the cron should have renewed it (margin ${left(renewMargin).slice(3)})` });
    } else if (renewMargin === undefined && expires - now < OFFLINE_WARNING) {
      out.push({ level: "warning", kind: "offline-expiry", role, message: `${role} expires ${left(expires - now)}: sign a new version offline (key ceremony)` });
    }
  }
  const lastRun = f.lastCron ? Date.parse(f.lastCron.started) : null;
  if (lastRun === null && now - f.publishedSince > grace) {
    out.push({ level: "warning", kind: "cron", message: "no cron run is recorded: is the cron trigger deployed?" });
  } else if (lastRun !== null && now - lastRun > grace) {
    out.push({ level: "warning", kind: "cron", message: `the cron last ran ${left(lastRun - now)} (every ${Math.round(f.intervalMs / MINUTE)} min expected)` });
  }
  const failed = f.lastCron && (["renewal", "retention"] as const).filter((part) => "error" in f.lastCron![part]);
  if (failed?.length) out.push({ level: "warning", kind: "cron-failed", message: `the last cron run failed: ${failed.join(", ")} (see the logs)` });
  if (f.oldestPending !== null && now - f.oldestPending > PENDING_WARNING) {
    out.push({ level: "warning", kind: "uploads", message: `an upload has waited ${left(f.oldestPending - now).replace(" ago", "")} to be published` });
  }
  out.push(...writerWarnings(f.sequencer, now));
  if (f.backlog) out.push({ level: "warning", kind: "retention", message: "retention has more due than one run deletes; storage grows until it catches up" });
  if (f.jobError) out.push(jobWarning(f.jobError));
  if (f.largestBin && f.largestBin.bytes > MAX_BIN_BYTES / 2) {
    out.push({
      level: "warning", kind: "bin-size",
      message: `${f.largestBin.name} has grown to ${f.largestBin.bytes} bytes, past half the bound of ${MAX_BIN_BYTES} (paths may be crowding one bin: look at its recent uploads)`,
    });
  }
  return out;
}

/** The sequencer: not answering, its last commit failed, or a message waiting too long in its inbox. */
function writerWarnings(sequencer: SequencerStatus | null | undefined, now: number): Warning[] {
  const out: Warning[] = [];
  if (sequencer === null) out.push({ level: "warning", kind: "writer", message: "the sequencer did not answer: uploads wait in the queue" });
  if (sequencer?.lastAlarm?.error && sequencer.retrying > 0) {
    out.push({ level: "warning", kind: "writer", message: `the sequencer's last commit failed (it retries): ${sequencer.lastAlarm.error}` });
  }
  if (sequencer?.oldest && now - Date.parse(sequencer.oldest) > PENDING_WARNING) {
    out.push({ level: "warning", kind: "writer", message: `the sequencer's inbox has held a message for ${left(Date.parse(sequencer.oldest) - now).replace(" ago", "")}` });
  }
  return out;
}

/** A failed or aborted admin job: what it was to publish is not published (critical until the next job). */
const jobWarning = (error: string): Warning => ({ level: "critical", kind: "job", message: `admin job failed: ${error}` });

/** The writer as status reports it; a sequencer that does not answer is a warning, not a failed status. */
async function writerStatus(env: Env, config: Config): Promise<Status["writer"]> {
  const shards = env.BIN_SHARDS ? config.writerShards : 0;
  if (!sequencerOn(env)) return { kind: "consumer", shards };
  return { kind: "sequencer", shards, sequencer: await sequencerStatus(env).catch(() => null) };
}

/**
 * PEP 480's roles, when the repository is in that layout: claimed and its parts and unclaimed
 * (offline: a ceremony renews them), recently-claimed (online: the cron renews it), and how many
 * claims each holds. Parts are read through the cache of parsed files: once per version.
 */
async function layoutStatus(store: MetadataStore, s: RepoState) {
  if (!s.recentlyClaimed) return null;
  const [claimed, recent, unclaimed] = await Promise.all([CLAIMED, RECENTLY_CLAIMED, UNCLAIMED].map((r) => publishedRole(store, s, r)));
  const parts = (await Promise.all((claimed?.delegations?.roles ?? []).map((p) => publishedRole(store, s, p.name)))).filter((p): p is NonNullable<typeof p> => p !== null);
  const claims = parts.reduce((n, p) => n + (p.delegations?.roles?.length ?? 0), 0);
  const partsExpire = Math.min(...parts.map((p) => p.expires));
  const version = (role: string) => s.snapshot.signed.meta.get(`${role}.json`)?.version ?? 0;
  return {
    expiries: (config: Config) => [
      ...(claimed ? [{ role: CLAIMED, expires: claimed.expires }] : []),
      ...(parts.length ? [{ role: "claimed parts", expires: partsExpire }] : []),
      ...(unclaimed ? [{ role: UNCLAIMED, expires: unclaimed.expires }] : []),
      ...(recent ? [{ role: RECENTLY_CLAIMED, expires: recent.expires, renewMargin: config.binsExpiry / 2 }] : []),
    ],
    json: (now: number) => ({
      claims,
      recentClaims: recent?.delegations?.roles?.length ?? 0,
      ...(claimed ? { claimed: { ...expiry(version(CLAIMED), claimed.expires, now), parts: parts.length, ...(parts.length ? { partsExpire: formatExpires(partsExpire) } : {}) } } : {}),
      ...(recent ? { recentlyClaimed: expiry(version(RECENTLY_CLAIMED), recent.expires, now) } : {}),
      ...(unclaimed ? { unclaimed: expiry(version(UNCLAIMED), unclaimed.expires, now) } : {}),
    }),
  };
}

async function rootExpires(store: MetadataStore, version: number): Promise<number | null> {
  const root = await readRoot(store, version).catch(() => null);
  return root ? root.signed.expires : null;
}

export async function collectStatus(env: Env, now: number): Promise<Status> {
  const store = new MetadataStore(env.METADATA);
  const uploads = new UploadStore(env.METADATA);
  const config = readConfig(env);
  const [state, job, onlineKeys, cron, pending, rejections, projects, writer] = await Promise.all([
    loadState(store),
    new JobStore(env.METADATA).get(),
    readOnlineKeys(env.METADATA),
    readCronState(env.METADATA),
    oldestPending(env.METADATA, uploads),
    rejectionFacts(uploads, now),
    countProjects(store),
    writerStatus(env, config),
  ]);
  const rejected = rejectionWarning(rejections);
  const { root: _r, targets: _t, roles: _o, ...jobStatus } = job?.job ?? ({} as Partial<Job>);
  const common = {
    now: new Date(now).toISOString(),
    lastCron: cron ? { ...cron.lastRun, ageSeconds: seconds(now - Date.parse(cron.lastRun.started)) } : null,
    cronIntervalSeconds: cron?.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS,
    oldestPendingUpload: pending ? { ...pending, ageSeconds: seconds(now - Date.parse(pending.received)) } : null,
    job: job ? (jobStatus as Omit<Job, "root" | "targets" | "roles">) : null,
    onlineKeys: onlineKeys?.keyids ?? [],
    projects,
    writer,
    renewal: {
      timestampRenewMarginSeconds: seconds(config.timestampRenewMargin),
      snapshotRenewMarginSeconds: seconds(config.snapshotRenewMargin),
      binsExpirySeconds: seconds(config.binsExpiry),
      binsRenewalPeriodSeconds: seconds(renewalPeriod(config)),
    },
    rejections,
  };
  if (!state) {
    const warnings = [...(job?.job.error ? [jobWarning(job.job.error)] : []), ...(rejected ? [rejected] : []), ...writerWarnings(writer.sequencer, now)];
    return { published: false, warnings, ...common };
  }

  const s = state;
  const [rootExpiry, commits, cursorBinExpires, layout] = await Promise.all([
    rootExpires(store, s.notes.rootVersion),
    recentCommits(store, s.timestamp.signed.version),
    binExpires(store, s),
    layoutStatus(store, s),
  ]);
  const bins = binsStatus(s, config, cron, now, cursorBinExpires);
  const { expiresMs: binsExpires, ...binsJson } = bins;
  const expiries = [
    { role: "timestamp", expires: s.timestamp.signed.expires, renewMargin: config.timestampRenewMargin },
    { role: "snapshot", expires: s.snapshot.signed.expires, renewMargin: config.snapshotRenewMargin },
    // A bin falls due every P / n: the bound moves in steps of that size.
    { role: "bins", expires: binsExpires, renewMargin: renewalPeriod(config) - renewalPeriod(config) / bins.count },
    { role: "targets", expires: s.targets.signed.expires },
    ...(rootExpiry === null ? [] : [{ role: "root", expires: rootExpiry }]),
    ...(layout?.expiries(config) ?? []),
  ];
  const earliest = expiries.reduce((a, b) => (b.expires < a.expires ? b : a));
  const last = commits[0]?.timestampVersion === s.timestamp.signed.version ? commits[0] : undefined;
  const warnings = warningsFor(
    {
      expiries,
      intervalMs: common.cronIntervalSeconds * 1000,
      lastCron: cron?.lastRun ?? null,
      publishedSince: job?.job.kind === "bootstrap" && job.job.finished ? Date.parse(job.job.finished) : s.uploaded.getTime(),
      oldestPending: pending ? Date.parse(pending.received) : null,
      backlog: cron !== null && "backlog" in cron.lastRun.retention && cron.lastRun.retention.backlog,
      ...(job?.job.error ? { jobError: job.job.error } : {}),
      sequencer: writer.sequencer,
      largestBin: commits.reduce<Facts["largestBin"]>((m, c) => (c.largestBin && (!m || c.largestBin.bytes > m.bytes) ? c.largestBin : m), undefined),
    },
    now,
  );
  if (rejected) warnings.push(rejected);
  const { now: nowIso, ...rest } = common;
  // Most urgent first: what a reader (or `tuf-edge status`) sees at the top.
  return {
    published: true,
    now: nowIso,
    warnings,
    earliestExpiry: { role: earliest.role, expires: formatExpires(earliest.expires), expiresInSeconds: seconds(earliest.expires - now) },
    roles: {
      root: rootExpiry === null ? { version: s.notes.rootVersion } : expiry(s.notes.rootVersion, rootExpiry, now),
      timestamp: expiry(s.timestamp.signed.version, s.timestamp.signed.expires, now),
      snapshot: expiry(s.snapshot.signed.version, s.snapshot.signed.expires, now),
      targets: expiry(s.targets.signed.version, s.targets.signed.expires, now),
      bins: binsJson,
      ...(layout ? { projects: layout.json(now) } : {}),
    },
    lastCommit: last
      ? { timestampVersion: last.timestampVersion, at: last.committedAt, reason: last.reason }
      : { timestampVersion: s.timestamp.signed.version, at: s.uploaded.toISOString() },
    ...rest,
    recentCommits: commits,
  };
}

statusRoutes.get("/v1/status", async (c) => {
  c.header("Cache-Control", "no-store");
  return c.json(await collectStatus(c.env, c.get("now")));
});

statusRoutes.get("/", async (c) => {
  const now = c.get("now");
  c.header("Cache-Control", "no-store");
  const status = await collectStatus(c.env, now);
  const target = c.req.query("target")?.trim();
  const store = new MetadataStore(c.env.METADATA);
  const [charts, found] = await Promise.all([
    status.published
      ? recentCommits(store, status.lastCommit!.timestampVersion, 1000).then((commits) => collectCharts(new UploadStore(c.env.METADATA), commits, now, status))
      : null,
    target ? findTarget(store, target).catch(() => null) : undefined,
  ]);
  const lookup = target ? { path: target, found: found ?? null } : null;
  return c.html(renderStatusPage(status, now, { charts, lookup, refreshSeconds: readConfig(c.env).timestampMaxAgeSeconds }));
});
