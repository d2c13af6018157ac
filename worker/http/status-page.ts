import { formatDuration } from "../../shared/time.js";
import type { PublishedTarget } from "../storage/repository.js";
import type { Charts } from "./status-charts.js";
import { barChartSvg } from "./status-svg.js";
import type { RoleExpiry, Status } from "./status-report.js";

export interface PageExtras {
  readonly charts: Charts | null;
  /** A target look-up from the page's form (?target=PATH). */
  readonly lookup: { readonly path: string; readonly found: PublishedTarget | null } | null;
  /** Reload after this many seconds: the timestamp's cache lifetime, nothing changes sooner for clients. */
  readonly refreshSeconds: number;
}

/**
 * GET /: the status as a page an operator reads at a glance. A server-rendered string, every value
 * escaped; a few lines of script only keep the countdowns ticking (against the server's clock).
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (value: unknown): string => String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

/** Tagged template: interpolated values are escaped unless wrapped in `raw`. */
class Raw {
  constructor(readonly html: string) {}
}
const raw = (html: string) => new Raw(html);
function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const parts = Array.isArray(v) ? v : [v];
    out += parts.map((p) => (p instanceof Raw ? p.html : escapeHtml(p ?? ""))).join("") + strings[i + 1]!;
  });
  return raw(out);
}

const countdown = (expires: string, now: number) => {
  const ms = Date.parse(expires) - now;
  return html`<span class="countdown${ms <= 0 ? " expired" : ""}" data-expires="${Date.parse(expires)}">${ms > 0 ? `in ${formatDuration(ms)}` : `expired ${formatDuration(ms)} ago`}</span>`;
};

const ago = (iso: string, now: number) => html`<time datetime="${iso}" title="${iso}">${formatDuration(now - Date.parse(iso))} ago</time>`;

function roleRow(name: string, version: string, role: RoleExpiry | { version: number }, now: number, warned: boolean, note = "") {
  const e = "expires" in role ? role : null;
  return html`<tr data-role="${name}"${raw(warned ? ' class="warn"' : "")}>
<th scope="row">${name}</th><td class="version">${version}</td>
<td class="expires">${e ? html`<time datetime="${e.expires}">${e.expires}</time>` : "unknown"}${note ? html` <small>${note}</small>` : ""}</td>
<td>${e ? countdown(e.expires, now) : ""}</td></tr>`;
}

/** Bins that fall due between two cron runs in steady state. */
const perRun = (s: Status) => Math.max(1, Math.round((s.roles!.bins.count * s.cronIntervalSeconds) / s.roles!.bins.renewalPeriodSeconds));

/**
 * Bins fallen due since the last run are renewed by the next: up to a run's worth is the schedule at
 * work, not news. More than two runs' worth says the cron is behind (the warnings say so too).
 */
function dueNote(s: Status): string {
  const behind = s.roles!.bins.behind;
  if (behind === 0) return "";
  if (behind <= 2 * perRun(s)) return `; ${behind.toLocaleString("en")} fell due since the last run, for the next (as scheduled)`;
  return `; ${behind.toLocaleString("en")} overdue (more than two cron runs of work): is the cron running?`;
}

/** A latency to read at a glance: milliseconds under a second (never "0s"), then seconds. */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return formatDuration(ms);
}

/** PEP 480's roles, in that layout: claimed (with its parts' claims), recently-claimed, unclaimed. */
function projectRows(s: Status, now: number, warned: ReadonlySet<string | undefined>) {
  const p = s.roles!.projects;
  if (!p) return "";
  return html`${p.claimed ? roleRow("claimed", String(p.claimed.version), p.claimed, now, warned.has("claimed") || warned.has("claimed parts"), `${p.claims.toLocaleString("en")} claims in ${p.claimed.parts} parts`) : ""}
${p.recentlyClaimed ? roleRow("recently-claimed", String(p.recentlyClaimed.version), p.recentlyClaimed, now, warned.has("recently-claimed"), `${p.recentClaims} since the last ceremony`) : ""}
${p.unclaimed ? roleRow("unclaimed", String(p.unclaimed.version), p.unclaimed, now, warned.has("unclaimed")) : ""}`;
}

function rolesTable(s: Status, now: number) {
  const r = s.roles!;
  const warnedRoles = new Set(s.warnings.map((w) => w.role));
  const b = r.bins;
  const binVersions = b.versions.min === b.versions.max ? `${b.versions.min}` : `${b.versions.min}–${b.versions.max}`;
  return html`<table id="roles"><thead><tr><th>Role</th><th>Version</th><th>Expires</th><th>Time left</th></tr></thead><tbody>
${roleRow("root", String(r.root.version), r.root, now, warnedRoles.has("root"))}
${roleRow("targets", String(r.targets.version), r.targets, now, warnedRoles.has("targets"))}
${roleRow("snapshot", String(r.snapshot.version), r.snapshot, now, warnedRoles.has("snapshot"))}
${roleRow("timestamp", String(r.timestamp.version), r.timestamp, now, warnedRoles.has("timestamp"))}
${roleRow("bins", binVersions, { version: 0, expires: b.expires, expiresInSeconds: b.expiresInSeconds }, now, warnedRoles.has("bins"), `least recently signed of ${b.count.toLocaleString("en")}`)}
${projectRows(s, now, warnedRoles)}
</tbody></table>
<p>Earliest expiry: <strong>${s.earliestExpiry!.role}</strong> ${countdown(s.earliestExpiry!.expires, now)}.
Bins are re-signed on a rolling schedule, each every ${formatDuration(b.renewalPeriodSeconds * 1000)}: about ${perRun(s)} a cron run${dueNote(s)}${b.catchingUp ? "; catching up after missed runs" : ""}.</p>`;
}

function commitsTable(s: Status, now: number) {
  const commits = s.recentCommits ?? [];
  if (commits.length === 0) return html`<p>No commit recorded since bootstrap.</p>`;
  return html`<table id="commits"><thead><tr><th>Timestamp</th><th>Snapshot</th><th>When</th><th>Why</th><th>Bins signed</th><th>Superseded</th></tr></thead><tbody>
${commits.map((c) => html`<tr><td>${c.timestampVersion}</td><td>${c.snapshotVersion}</td><td>${ago(c.committedAt, now)}</td><td>${c.reason}</td><td>${c.bins}</td><td>${c.superseded}</td></tr>`)}
</tbody></table>`;
}

function cronSection(s: Status, now: number) {
  const run = s.lastCron;
  if (!run) return html`<p>No cron run recorded yet (expected every ${formatDuration(s.cronIntervalSeconds * 1000)}).</p>`;
  const renewal = "error" in run.renewal ? html`<span class="bad">failed</span>` : html`${run.renewal.bins} bin${run.renewal.bins === 1 ? "" : "s"} re-signed${run.renewal.timestampVersion !== null ? `, timestamp v${run.renewal.timestampVersion}` : ", nothing due"}`;
  const retention = "error" in run.retention
    ? html`<span class="bad">failed</span>`
    : html`${run.retention.deleted + run.retention.orphans.deleted} old files deleted${run.retention.backlog ? " (more due)" : ""}`;
  const calls = Object.values(run.r2).reduce((a, b) => a + b, 0);
  return html`<p id="cron">Last run ${ago(run.started, now)} (<code>${run.cron}</code>, expected every ${formatDuration(s.cronIntervalSeconds * 1000)}), took ${run.durationMs} ms and ${calls} R2 calls: ${renewal}; ${retention}.</p>`;
}

function chartsSection(c: Charts) {
  const hour: [string, string, string] = ["60 min ago", "30 min", "now"];
  const latency = c.latency
    ? html`<p id="latency">Upload latency, received to published, last hour (${c.latency.uploads} upload${c.latency.uploads === 1 ? "" : "s"}): p50 <strong>${formatLatency(c.latency.p50)}</strong>, p99 <strong>${formatLatency(c.latency.p99)}</strong>.</p>`
    : html`<p id="latency">No upload published in the last hour.</p>`;
  const h = c.binExpiryHours.length;
  return html`<div class="charts">
${raw(barChartSvg({ id: "chart-commits", title: "Commits per minute (timestamp versions), last hour", values: c.commitsPerMinute, axis: hour, unit: "commits" }, escapeHtml))}
${raw(barChartSvg({ id: "chart-targets", title: "Targets published per minute, last hour", values: c.targetsPerMinute, axis: hour, unit: "targets" }, escapeHtml))}
${raw(barChartSvg({ id: "chart-bin-expiry", title: "Bins by hours left before they expire (renewal schedule)", values: c.binExpiryHours, axis: ["0 h", `${Math.round(h / 2)} h`, `${h} h`], unit: "bins" }, escapeHtml))}
</div>${latency}`;
}

function rejectionsSection(s: Status, now: number) {
  const r = s.rejections;
  if (r.recent.length === 0) return html`<p id="rejections">No upload has been rejected.</p>`;
  return html`<table id="rejections"><thead><tr><th>Upload</th><th>Received</th><th>Path</th><th>Reason</th></tr></thead><tbody>
${r.recent.map((x) => html`<tr${raw(Date.parse(x.rejectedAt) > Date.parse(r.acknowledgedUntil ?? "1970-01-01T00:00:00Z") ? ' class="warn"' : "")}><td><a href="/v1/uploads/${x.id}"><code>${x.id}</code></a></td><td>${ago(x.received, now)}</td><td><code>${x.path}</code>${x.count > 1 ? ` and ${x.count - 1} more` : ""}</td><td>${x.partial ? "(rest published) " : ""}${x.reason}</td></tr>`)}
</tbody></table>
<p><small>All rejections: <a href="/v1/uploads?state=rejected">/v1/uploads?state=rejected</a>. ${r.unacknowledged ? `${r.unacknowledged} not acknowledged: POST /v1/admin/uploads/acknowledge clears the warning.` : "All acknowledged."}</small></p>`;
}

function lookupSection(extras: PageExtras) {
  const l = extras.lookup;
  const result = !l
    ? ""
    : l.found
      ? html`<p id="lookup-result" class="ok">Published: <code>${l.path}</code> in ${l.found.role} v${l.found.roleVersion} (snapshot v${l.found.snapshotVersion}), ${l.found.file.length} bytes, sha256 <code>${l.found.file.hashes.sha256 ?? ""}</code>.</p>`
      : html`<p id="lookup-result" class="bad">Not published: <code>${l.path}</code>.</p>`;
  return html`<form id="lookup" method="get" action="/"><label>Target path <input name="target" size="50" value="${l?.path ?? ""}" placeholder="packages/…/example-1.0-py3-none-any.whl"></label> <button>Look up</button></form>${result}`;
}

function metadataLinks(s: Status) {
  const r = s.roles!;
  return html`<p id="metadata-links">Current metadata: <a href="/metadata/timestamp.json">timestamp.json</a>,
<a href="/metadata/${r.snapshot.version}.snapshot.json">${r.snapshot.version}.snapshot.json</a>,
<a href="/metadata/${r.targets.version}.targets.json">${r.targets.version}.targets.json</a>,
<a href="/metadata/${r.root.version}.root.json">${r.root.version}.root.json</a> (trust anchor: <a href="/metadata/1.root.json">1.root.json</a>).
The simple index: <a href="/simple/">/simple/</a>${s.projects === null ? "" : html`, <span id="projects">${s.projects.toLocaleString("en")} project${s.projects === 1 ? "" : "s"}</span>`}.</p>`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;margin:.5rem 0}#rejections{table-layout:fixed}
#rejections th:nth-child(1){width:22%}#rejections th:nth-child(2){width:12%}#rejections th:nth-child(3){width:30%}
td{overflow-wrap:anywhere}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}
thead th{font-size:.85rem;color:#555}tr.warn{background:#fff4d6}.expired,.bad{color:#b00020;font-weight:600}
#warnings li{padding:.4rem .6rem;margin:.3rem 0;border-radius:4px;list-style:none}li.critical{background:#fde0e0;color:#8a0015}
li.warning{background:#fff4d6}.ok{color:#1e6b2f}code{font-size:.9em}small{color:#666}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{margin:0}.chart svg{background:#fafafa;border:1px solid #e4e4e4}
.chart rect{fill:#3b6ea8}.chart text{font-size:9px;fill:#555}.chart .axis{stroke:#bbb}figcaption{font-size:.8rem;color:#555;max-width:300px}`;

// Ticks the countdowns from the server's "now" plus the time the page has been open.
const SCRIPT = `(()=>{const s=Number(document.body.dataset.now),t=Date.now();
const f=m=>{let r=Math.floor(Math.abs(m)/1e3),p=[];for(const[u,z]of[["d",86400],["h",3600],["m",60],["s",1]]){const n=Math.floor(r/z);r-=n*z;if(n>0||(u==="s"&&!p.length))p.push(n+u)}return p.slice(0,2).join(" ")};
const tick=()=>{const now=s+Date.now()-t;for(const e of document.querySelectorAll("[data-expires]")){const m=Number(e.dataset.expires)-now;e.textContent=m>0?"in "+f(m):"expired "+f(m)+" ago";e.classList.toggle("expired",m<=0)}};
setInterval(tick,1000)})();`;

/** The writer: the sequencer's inbox, its commits and its next alarm, or the queue consumer. */
function writerSection(s: Status, now: number) {
  const w = s.writer;
  const shards = w.shards ? `, fanning bin work out to ${w.shards} shard objects` : "";
  if (w.kind === "consumer") return html`<p id="writer">The queue consumer commits${shards}.</p>`;
  const q = w.sequencer;
  if (!q) return html`<p id="writer" class="bad">The sequencer did not answer${shards}.</p>`;
  const last = q.lastAlarm ? html` Last commit run ${ago(q.lastAlarm.at, now)}: ${q.lastAlarm.messages} message${q.lastAlarm.messages === 1 ? "" : "s"} in ${q.lastAlarm.ms} ms${q.lastAlarm.error ? html`, <span class="bad">failed: ${q.lastAlarm.error}</span>` : ""}.` : "";
  const running = q.inProgress ? html` A commit of ${q.inProgress.messages} messages is under way since ${ago(q.inProgress.at, now)}.` : "";
  return html`<p id="writer">The sequencer commits${shards}. Inbox: <span id="inbox">${q.backlog}</span> message${q.backlog === 1 ? "" : "s"}${q.oldest ? html`, the oldest received ${ago(q.oldest, now)}` : ""}${q.jobSteps ? html`, ${q.jobSteps} admin job step${q.jobSteps === 1 ? "" : "s"}` : ""}${q.retrying ? html`, ${q.retrying} being retried` : ""}.${running}${last}${q.nextAlarm ? html` Next alarm at <time datetime="${q.nextAlarm}">${q.nextAlarm}</time>.` : ""}</p>`;
}

export function renderStatusPage(s: Status, now: number, extras: PageExtras = { charts: null, lookup: null, refreshSeconds: 30 }): string {
  const warnings = s.warnings.length
    ? html`<ul>${s.warnings.map((w) => html`<li class="${w.level}" data-kind="${w.kind}">${w.message}</li>`)}</ul>`
    : html`<p class="ok">No warnings.</p>`;
  const pending = s.oldestPendingUpload;
  const body = s.published
    ? html`<h2>Roles</h2>${rolesTable(s, now)}${metadataLinks(s)}
${extras.charts ? html`<h2>Activity</h2>${chartsSection(extras.charts)}` : ""}
<h2>Look up a target</h2>${lookupSection(extras)}
<h2>Uploads</h2><p id="uploads">${pending ? html`Oldest upload not yet published: <code>${pending.id}</code>, received ${ago(pending.received, now)}.` : "No upload is waiting to be published."}</p>
<h3>Rejected</h3>${rejectionsSection(s, now)}
<h2>Recent commits</h2>${commitsTable(s, now)}
<h2>Cron</h2>${cronSection(s, now)}`
    : html`<p>No repository is published yet.${s.job ? html` Job <code>${s.job.kind}</code>: ${s.job.done} of ${s.job.steps} steps.` : " Bootstrap it (POST /v1/admin/bootstrap)."}</p>`;
  const job = s.job && s.published ? html`<p>Last admin job: ${s.job.kind}, ${s.job.finished ? html`finished ${ago(s.job.finished, now)}` : `${s.job.done} of ${s.job.steps} steps`}.</p>` : "";
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="${extras.refreshSeconds}">
<title>tuf-edge status</title><style>${raw(STYLE)}</style></head>
<body data-now="${now}">
<h1>tuf-edge status</h1>
<p>As of <time datetime="${s.now}">${s.now}</time>. Machine-readable: <a href="/v1/status">/v1/status</a>.</p>
<section id="warnings"><h2>Warnings</h2>${warnings}</section>
${body}
<h2>Writer</h2>${writerSection(s, now)}
<h2>Keys</h2><p>Online key${s.onlineKeys.length > 1 ? "s" : ""}: ${s.onlineKeys.length ? s.onlineKeys.map((k, i) => html`${i ? ", " : ""}<code>${k}</code>`) : "not recorded yet (the writer or the cron records it when it first runs)"}</p>${job}
<script>${raw(SCRIPT)}</script>
</body></html>`.html;
}
