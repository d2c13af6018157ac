import { describe, expect, test } from "vitest";
import { cronIntervalSeconds } from "../../worker/publish/cron.js";
import { duePosition, dueTime, oldestBinSignature } from "../../shared/renewal.js";
import { MAX_RENEW_PER_RUN, renewalWindow } from "../../worker/publish/renew.js";

/** The rolling bin schedule as pure functions: n bins, period P, counters that only grow. */
const HOUR = 3_600_000;
const P = 12 * HOUR;
const N = 16_384;
const T0 = Date.UTC(2026, 0, 1);

describe("rolling bin renewal", () => {
  test("a 5-minute cron renews ~114 of 16,384 bins per run, each bin once per period", () => {
    const start = duePosition(T0, P, N);
    let cursor = start;
    const renewed = new Map<number, number[]>();
    for (let t = T0 + 5 * 60_000; t <= T0 + 3 * P; t += 5 * 60_000) {
      const w = renewalWindow(cursor, t, P, N);
      expect(w.jumpedFrom).toBeUndefined();
      expect(w.end - w.start).toBeLessThanOrEqual(Math.ceil((N * 5) / (12 * 60)) + 1);
      for (let c = w.start; c < w.end; c++) (renewed.get(c % N) ?? renewed.set(c % N, []).get(c % N)!).push(t);
      cursor = w.end;
    }
    expect(renewed.size).toBe(N);
    for (const times of renewed.values()) {
      // Never more than P (plus one run) between two signatures of the same bin: it expires 2P after each.
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(P + 5 * 60_000);
    }
  });

  test("after missed runs the cursor jumps, renews each bin once, at most MAX_RENEW_PER_RUN per run", () => {
    const cursor = duePosition(T0, P, N);
    const later = T0 + 3 * P; // the cron was down for 36 h
    const first = renewalWindow(cursor, later, P, N);
    expect(first.jumpedFrom).toBe(cursor);
    expect(first.start).toBe(first.due - N);
    expect(first.end - first.start).toBe(MAX_RENEW_PER_RUN);
    // Following runs continue from the new cursor without jumping again, until every bin is done.
    let c = first.end, runs = 1;
    for (let t = later; c < first.due; t += 5 * 60_000, runs++) {
      const w = renewalWindow(c, t, P, N);
      expect(w.jumpedFrom).toBeUndefined();
      expect(w.end - w.start).toBeLessThanOrEqual(MAX_RENEW_PER_RUN);
      c = w.end;
    }
    expect(runs).toBe(Math.ceil(N / MAX_RENEW_PER_RUN)); // 8 runs: every bin re-signed within 40 minutes
  });

  test("a clock that went back by more than a period renews every bin once rather than waiting", () => {
    const cursor = duePosition(T0 + 2 * P, P, N);
    const w = renewalWindow(cursor, T0, P, N);
    expect(w.jumpedFrom).toBe(cursor);
    expect(w.start).toBe(duePosition(T0, P, N) - N);
    // A small skew between two runs is not a jump: nothing is due yet.
    const skewed = renewalWindow(duePosition(T0 + 1000, P, N), T0, P, N);
    expect(skewed.jumpedFrom).toBeUndefined();
    expect(skewed.end).toBe(skewed.start);
  });

  test("the oldest signature bound is one period behind the cursor, or before the jump during a catch-up", () => {
    const cursor = duePosition(T0, P, N);
    expect(oldestBinSignature(cursor, N, P)).toBeCloseTo(dueTime(cursor, P, N) - P);
    expect(dueTime(cursor, P, N)).toBeLessThanOrEqual(T0);
    expect(dueTime(cursor, P, N)).toBeGreaterThan(T0 - P / N - 1);
    const catchUp = { from: cursor - 5 * N, until: cursor + 100 };
    expect(oldestBinSignature(cursor, N, P, catchUp)).toBe(dueTime(catchUp.from - N, P, N));
    expect(oldestBinSignature(cursor + 100, N, P, catchUp)).toBe(dueTime(cursor + 100 - N, P, N));
  });
});

test("cron intervals from the usual expressions", () => {
  expect(cronIntervalSeconds("*/5 * * * *")).toBe(300);
  expect(cronIntervalSeconds("* * * * *")).toBe(60);
  expect(cronIntervalSeconds("0 * * * *")).toBe(3600);
  expect(cronIntervalSeconds("15 */6 * * *")).toBe(6 * 3600);
  expect(cronIntervalSeconds("30 2 * * *")).toBe(86400);
  expect(cronIntervalSeconds("0 0 * * MON")).toBeNull();
  expect(cronIntervalSeconds("garbage")).toBeNull();
});
