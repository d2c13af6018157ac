import { formatExpires, parseExpires } from "../../shared/index.js";
import { UsageError } from "./errors.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90s`, `30m`, `12h`, `365d`, `2w`, or combined (`1d12h`) → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  if (!/^(\d+[smhdw])+$/.test(text)) {
    throw new UsageError(`${flag} must be a duration such as 12h, 30d or 1d12h, got ${JSON.stringify(text)}`);
  }
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdw])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/** An `expires` option: a duration from now (`365d`) or a date (`2027-01-01T00:00:00Z`). Whole seconds. */
export function parseExpiry(text: string, flag: string, now: number): number {
  if (/^\d{4}-/.test(text)) {
    try {
      return parseExpires(text, flag);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  return Math.floor((now + parseDuration(text, flag)) / 1000) * 1000;
}

/** `364d 23h`, `23h 59m`, `4m 10s`: the two largest units. */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (unit === "s" && parts.length === 0)) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join(" ");
}

/** `2026-11-25T00:00:00Z (in 23h 59m)` or `… (expired 2h 3m ago)`. */
export function describeExpiry(expires: number, now: number): string {
  const left = expires - now;
  const when = left > 0 ? `in ${formatDuration(left)}` : `expired ${formatDuration(left)} ago`;
  return `${formatExpires(expires)} (${when})`;
}
