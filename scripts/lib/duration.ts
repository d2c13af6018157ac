import { formatDuration, formatExpires, parseExpires } from "../../shared/index.js";
export { formatDuration };
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

/** `2026-11-25T00:00:00Z (in 23h 59m)` or `… (expired 2h 3m ago)`. */
export function describeExpiry(expires: number, now: number): string {
  const left = expires - now;
  const when = left > 0 ? `in ${formatDuration(left)}` : `expired ${formatDuration(left)} ago`;
  return `${formatExpires(expires)} (${when})`;
}
