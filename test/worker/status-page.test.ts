import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { binIndex } from "../../shared/bins.js";
import { duePosition } from "../../shared/renewal.js";
import { formatLatency, renderStatusPage } from "../../worker/http/status-page.js";
import type { Status } from "../../worker/http/status-report.js";
import { admin, status } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { HOUR, bootstrapNow, captureLogs, deliver, realNow, runCron, sendUpload, setClock } from "./cron-support.js";

/**
 * GET / in a real browser (Debian's chromium, driven by playwright-core; `apt-get install chromium`,
 * as .ci/run does), and GET /v1/status, the facts the page shows. Without chromium every browser
 * test fails with that one line (none is skipped). The page's screenshot is written to
 * test-output/status-page.png (git-ignored) for a person to look at.
 */
const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const MINUTE = 60_000;

let w: TestWorker;
let launched: Browser | undefined;
let pendingId: string;
let rejectedId: string;
const SCREENSHOTS = join(import.meta.dirname, "../../test-output");
const MISSING = `${CHROMIUM} is missing: install it first (apt-get install chromium)`;

/** The browser, or the one line that says what to install. */
async function newPage() {
  if (!launched) throw new Error(MISSING);
  return launched.newPage({ viewport: { width: 1100, height: 900 } });
}
const logs = captureLogs();
/**
 * The test's start, on the Worker's clock: now, or one renewal step (45 min: 12 h over 16 bins) on
 * when the bin the schedule reaches at t0 + 1 h is the one the test's upload re-signs then (its file
 * would say a day from then). Otherwise the expiry test below failed 45 minutes in every 12 hours.
 */
const t0 = ((t: number) => (duePosition(t + HOUR, 12 * HOUR, 16) % 16 === binIndex("packages/page/a-1.0.bin", 4) ? t + (12 * HOUR) / 16 : t))(realNow());

beforeAll(async () => {
  [w, launched] = await Promise.all([
    startWorker({ entry: "faulty", queueConsumer: false }),
    existsSync(CHROMIUM) ? chromium.launch({ executablePath: CHROMIUM, args: ARGS }) : undefined,
  ]);
  await setClock(w, t0);
  await bootstrapNow(w, 4);
  await setClock(w, t0 + HOUR);
  expect(await runCron(w)).toBe("ok");
  await deliver(w, [await sendUpload(w, "packages/page/a-1.0.bin", "a", Math.floor((t0 + HOUR) / 1000))]);
  // One upload the consumer has not seen yet.
  pendingId = await sendUpload(w, "packages/page/b-1.0.bin", "b", Math.floor((t0 + HOUR) / 1000));
});
afterAll(async () => {
  await launched?.close();
  await w?.close();
  logs.restore();
});

describe("GET /v1/status", () => {
  test("every role's version and expiry, the earliest, the last commit and cron run, the oldest pending upload", async () => {
    const s = await status(w);
    for (const role of ["root", "targets", "snapshot", "timestamp"]) {
      expect(s.roles[role]).toMatchObject({ version: expect.any(Number), expires: expect.stringMatching(/Z$/), expiresInSeconds: expect.any(Number) });
    }
    expect(s.roles.bins).toMatchObject({ count: 16, behind: 0, catchingUp: false, expiresInSeconds: expect.any(Number) });
    expect(s.roles.bins.expiresInSeconds).toBeGreaterThan(11 * 3600);
    expect(s.earliestExpiry.role).toMatch(/^(bins|timestamp|snapshot)$/);
    expect(s.lastCommit).toMatchObject({ timestampVersion: s.roles.timestamp.version, reason: "publish" });
    expect(s.recentCommits.map((c: any) => c.reason)).toEqual(["publish", "renewal"]);
    expect(s.lastCron).toMatchObject({ cron: "*/5 * * * *", renewal: { bins: expect.any(Number) }, r2: { get: expect.any(Number) } });
    expect(s.cronIntervalSeconds).toBe(300);
    expect(s.oldestPendingUpload).toMatchObject({ id: pendingId, ageSeconds: expect.any(Number) });
    expect(s.warnings).toEqual([]);
  });

  test("bins expire when their files say: a day after bootstrap, not the schedule's half-day bound", async () => {
    // Bootstrapped at t0 with 24 h bins, now t0 + 1 h: the least recently signed bin has 23 h left.
    const s = await status(w);
    expect(s.roles.bins.expiresInSeconds).toBeGreaterThan(22.9 * 3600);
    expect(s.roles.bins.expiresInSeconds).toBeLessThanOrEqual(23 * 3600 + 60);
    expect(s.renewal).toEqual({ timestampRenewMarginSeconds: 43200, snapshotRenewMarginSeconds: 43200, binsExpirySeconds: 86400, binsRenewalPeriodSeconds: 43200 });
  });

  test("a rejected upload is listed with its reason and warned about until acknowledged", async () => {
    rejectedId = await sendUpload(w, "packages/page/a-1.0.bin", "other bytes", Math.floor((t0 + HOUR) / 1000));
    await deliver(w, [rejectedId]);
    const s = await status(w);
    expect(s.rejections).toMatchObject({ unacknowledged: 1, recent: [{ id: rejectedId, path: "packages/page/a-1.0.bin", count: 1, partial: false }] });
    expect(s.rejections.recent[0].reason).toMatch(/already published with a different length or hashes/);
    const warning = s.warnings.find((x: any) => x.kind === "rejected-uploads");
    expect(warning.message).toContain(`an upload was rejected; latest ${rejectedId}: packages/page/a-1.0.bin: already published`);

    const listed = await (await fetch(`${w.url}/v1/uploads?state=rejected&limit=1`)).json();
    expect(listed).toMatchObject({ state: "rejected", uploads: [{ id: rejectedId, received: expect.stringMatching(/Z$/) }] });
    const bad = await fetch(`${w.url}/v1/uploads?state=published`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: "state" });
    expect((await fetch(`${w.url}/v1/uploads?state=rejected&limit=0`)).status).toBe(400);
    expect((await admin(w, "/v1/admin/uploads/acknowledge", {}, "wrong")).status).toBe(401);
  });

  test("warns about an upload waiting over five minutes and a cron not seen for two intervals", async () => {
    await setClock(w, t0 + HOUR + 11 * MINUTE);
    const s = await status(w);
    expect(s.warnings.map((x: any) => x.kind).sort()).toEqual(["cron", "rejected-uploads", "uploads"]);
    await deliver(w, [pendingId]);
    expect((await status(w)).oldestPendingUpload).toBeNull();
    // The cron is seen again. The clock never goes back: what happens next must be stamped later than
    // what happened before (an acknowledgement after the rejection it clears).
    expect(await runCron(w)).toBe("ok");
  });
});

describe("GET / in headless Chromium", () => {
  test(`Debian's chromium is installed (${CHROMIUM})`, () => {
    expect(existsSync(CHROMIUM), MISSING).toBe(true);
  });

  test("charts, metadata links, the rejected upload, a target look-up; a screenshot for a person", async () => {
    const page = await newPage();
    await page.goto(`${w.url}/`);
    expect(await page.locator('meta[http-equiv="refresh"]').getAttribute("content")).toBe("30");
    expect(await page.locator("#chart-commits svg rect").count()).toBe(60);
    expect(await page.locator("#chart-targets svg rect").count()).toBe(60);
    expect(await page.locator("#chart-bin-expiry svg rect").count()).toBe(24);
    expect(await page.locator("#chart-targets svg").getAttribute("aria-label")).toMatch(/total [1-9]/);
    expect(await page.locator("#latency").textContent()).toMatch(/p50 .* p99 /);
    expect(await page.locator("script").count()).toBe(1); // the countdown ticker; the charts need none
    expect(await page.locator('#metadata-links a[href="/metadata/timestamp.json"]').count()).toBe(1);
    const row = page.locator("#rejections tbody tr");
    expect(await row.count()).toBe(1);
    expect(await row.textContent()).toContain("already published with a different length or hashes");
    expect(await page.locator('#warnings li[data-kind="rejected-uploads"]').count()).toBe(1);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "status-page.png"), fullPage: true });

    await page.fill('#lookup input[name="target"]', "packages/page/a-1.0.bin");
    await page.click("#lookup button");
    await page.waitForURL(/\?target=/);
    expect(await page.locator("#lookup-result").textContent()).toMatch(/^Published: packages\/page\/a-1\.0\.bin in bins-\w+ v\d+ .*, 1 bytes, sha256 /);
    await page.goto(`${w.url}/?target=${encodeURIComponent("packages/page/none.whl")}`);
    expect(await page.locator("#lookup-result").textContent()).toBe("Not published: packages/page/none.whl.");
    await page.close();
  });

  test("acknowledging clears the rejection warning; the rejection stays listed", async () => {
    const ack = await admin(w, "/v1/admin/uploads/acknowledge", {});
    expect(ack.status).toBe(200);
    const s = await status(w);
    expect(s.warnings.map((x: any) => x.kind)).not.toContain("rejected-uploads");
    expect(s.rejections).toMatchObject({ unacknowledged: 0, recent: [{ id: rejectedId }] });
    const page = await newPage();
    await page.goto(`${w.url}/`);
    expect(await page.locator("#rejections tbody tr").count()).toBe(1);
    expect(await page.locator("#rejections tbody tr.warn").count()).toBe(0);
    await page.close();
  });

  test("shows every role with its version, expiry and time left, and the recent commits", async () => {
    const s = await status(w);
    const page = await newPage();
    const res = await page.goto(`${w.url}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-type"]).toMatch(/^text\/html/);
    expect(await page.title()).toBe("tuf-edge status");
    for (const role of ["root", "targets", "snapshot", "timestamp"]) {
      const row = page.locator(`#roles tr[data-role="${role}"]`);
      await expect.poll(() => row.locator(".version").textContent()).toBe(String(s.roles[role].version));
      expect(await row.locator(".expires time").getAttribute("datetime")).toBe(s.roles[role].expires);
      expect(await row.locator(".countdown").textContent()).toMatch(/^in \d+[dhm]/);
    }
    const bins = page.locator('#roles tr[data-role="bins"]');
    expect(await bins.locator(".expires time").getAttribute("datetime")).toBe(s.roles.bins.expires);
    expect(await bins.textContent()).toContain("least recently signed of 16");
    expect(await page.locator("#warnings").textContent()).toContain("No warnings.");
    expect(await page.locator("#commits tbody tr").count()).toBe(s.recentCommits.length);
    expect(await page.locator("#cron").textContent()).toMatch(/Last run .* ago/);
    await page.close();
  });

  test("after two days without cron: expired roles are highlighted and counted since", async () => {
    await setClock(w, t0 + 50 * HOUR);
    const page = await newPage();
    await page.goto(`${w.url}/`);
    const critical = page.locator("#warnings li.critical");
    expect(await critical.count()).toBeGreaterThanOrEqual(3);
    expect(await critical.first().textContent()).toMatch(/expired .* ago/);
    for (const role of ["timestamp", "snapshot", "bins"]) {
      const row = page.locator(`#roles tr[data-role="${role}"]`);
      expect(await row.getAttribute("class")).toBe("warn");
      expect(await row.locator(".countdown").textContent()).toMatch(/^expired /);
      expect(await row.locator(".countdown").evaluate((e) => (globalThis as any).getComputedStyle(e).color)).toBe("rgb(176, 0, 32)");
    }
    await page.close();
    await setClock(w, t0 + HOUR);
  });

  test("at 1,280 px nothing overflows sideways, however long a rejected path, id or reason", async () => {
    const s = (await status(w)) as Status;
    const long = (c: string) => c.repeat(400);
    const recent = [{ id: long("a"), received: s.now, rejectedAt: s.now, count: 3, path: `packages/${long("p")}.tar.gz`, reason: long("r"), partial: true }];
    const html = renderStatusPage({ ...s, rejections: { ...s.rejections, recent } }, Date.parse(s.now));
    const page = await launched!.newPage({ viewport: { width: 1280, height: 900 } });
    await page.setContent(html);
    expect(await page.locator("#rejections tbody tr").count()).toBe(1);
    const widths = await page.evaluate(() => {
      const d = (globalThis as any).document.documentElement;
      return { scroll: d.scrollWidth, client: d.clientWidth };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await page.close();
  });

  test("bins fallen due for the next run read as the schedule at work; many more as a cron behind", async () => {
    const s = (await status(w)) as Status;
    const at = (behind: number) => {
      const bins = { ...s.roles!.bins, count: 16_384, renewalPeriodSeconds: 43_200, behind };
      return renderStatusPage({ ...s, cronIntervalSeconds: 300, roles: { ...s.roles!, bins } }, Date.parse(s.now));
    };
    expect(at(111)).toContain("about 114 a cron run; 111 fell due since the last run, for the next (as scheduled)");
    expect(at(111)).not.toMatch(/due now/);
    expect(at(1_000)).toContain("1,000 overdue (more than two cron runs of work): is the cron running?");
    expect(at(0)).toMatch(/about 114 a cron run\./);
  });

  test("latencies under a second read in milliseconds, never 0 s; the page links /simple/ and counts projects when it can", async () => {
    expect([340, 999, 1_530, 12_345, 90_000].map(formatLatency)).toEqual(["340 ms", "999 ms", "1.53 s", "12.3 s", "1m 30s"]);
    const s = (await status(w)) as Status;
    expect(s.projects).toBeNull(); // the writer has not recorded the project list here
    const page = await newPage();
    await page.goto(`${w.url}/`);
    expect(await page.locator('#metadata-links a[href="/simple/"]').count()).toBe(1);
    expect(await page.locator("#latency").textContent()).not.toMatch(/ 0s/);
    await page.setContent(renderStatusPage({ ...s, projects: 12_345 }, Date.parse(s.now)));
    expect(await page.locator("#projects").textContent()).toBe("12,345 projects");
    await page.close();
  });

  test("values are escaped: markup in a message is shown as text, never run", async () => {
    const s = (await status(w)) as Status;
    const hostile = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`;
    const html = renderStatusPage({ ...s, warnings: [{ level: "warning", kind: hostile, message: hostile }] }, Date.parse(s.now));
    expect(html).not.toContain("<script>window.pwned");
    const page = await newPage();
    await page.setContent(html);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator("#warnings li").textContent()).toBe(hostile);
    await page.close();
  });
});
