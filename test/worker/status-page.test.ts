import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { renderStatusPage } from "../../worker/http/status-page.js";
import type { Status } from "../../worker/http/status.js";
import { status } from "../support/repo.js";
import { type TestWorker, startWorker } from "../support/worker.js";
import { HOUR, bootstrapNow, captureLogs, deliver, realNow, runCron, sendUpload, setClock } from "./cron-support.js";

/**
 * GET / in a real browser (Debian's chromium, driven by playwright-core; .ci/run installs it), and
 * GET /v1/status, the facts the page shows.
 */
const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const MINUTE = 60_000;

let w: TestWorker;
let browser: Browser;
let pendingId: string;
const logs = captureLogs();
const t0 = realNow();

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  [w, browser] = await Promise.all([
    startWorker({ entry: "faulty", queueConsumer: false }),
    chromium.launch({ executablePath: CHROMIUM, args: ARGS }),
  ]);
  await bootstrapNow(w, 4);
  await setClock(w, t0 + HOUR);
  expect(await runCron(w)).toBe("ok");
  await deliver(w, [await sendUpload(w, "packages/page/a-1.0.tar.gz", "a", Math.floor((t0 + HOUR) / 1000))]);
  // One upload the consumer has not seen yet.
  pendingId = await sendUpload(w, "packages/page/b-1.0.tar.gz", "b", Math.floor((t0 + HOUR) / 1000));
});
afterAll(async () => {
  await browser?.close();
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

  test("warns about an upload waiting over five minutes and a cron not seen for two intervals", async () => {
    await setClock(w, t0 + HOUR + 11 * MINUTE);
    const s = await status(w);
    expect(s.warnings.map((x: any) => x.kind).sort()).toEqual(["cron", "uploads"]);
    await deliver(w, [pendingId]);
    expect((await status(w)).oldestPendingUpload).toBeNull();
    await setClock(w, t0 + HOUR);
  });
});

describe("GET / in headless Chromium", () => {
  test("shows every role with its version, expiry and time left, and the recent commits", async () => {
    const s = await status(w);
    const page = await browser.newPage();
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
    expect(await bins.textContent()).toContain("worst case of 16");
    expect(await page.locator("#warnings").textContent()).toContain("No warnings.");
    expect(await page.locator("#commits tbody tr").count()).toBe(s.recentCommits.length);
    expect(await page.locator("#cron").textContent()).toMatch(/Last run .* ago/);
    await page.close();
  });

  test("after two days without cron: expired roles are highlighted and counted since", async () => {
    await setClock(w, t0 + 50 * HOUR);
    const page = await browser.newPage();
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

  test("values are escaped: markup in a message is shown as text, never run", async () => {
    const s = (await status(w)) as Status;
    const hostile = `<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>`;
    const html = renderStatusPage({ ...s, warnings: [{ level: "warning", kind: hostile, message: hostile }] }, Date.parse(s.now));
    expect(html).not.toContain("<script>window.pwned");
    const page = await browser.newPage();
    await page.setContent(html);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.locator("#warnings li").textContent()).toBe(hostile);
    await page.close();
  });
});
