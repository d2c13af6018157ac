import { FieldError } from "./errors.js";

/** Milliseconds since the epoch. Everything that reads the time takes a Clock, so tests can set it. */
export type Clock = () => number;
export const systemClock: Clock = () => Date.now();

const EXPIRES = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** `YYYY-MM-DDTHH:MM:SSZ`, whole seconds: python-tuf rejects the milliseconds of toISOString(). */
export function formatExpires(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

export function parseExpires(text: string, field = "expires"): number {
  const m = EXPIRES.exec(text);
  if (!m) throw new FieldError(field, `must be YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(text)}`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  // Date.UTC rolls 2026-02-30 over into March; round-tripping catches impossible dates.
  if (Number.isNaN(ms) || formatExpires(ms) !== text) {
    throw new FieldError(field, `not a real date: ${text}`);
  }
  return ms;
}

/** The spec's rule: metadata is expired when now >= expires. */
export const isExpired = (expiresMs: number, nowMs: number): boolean => nowMs >= expiresMs;

/** `364d 23h`, `23h 59m`, `4m 10s`: the two largest units of a duration (its sign ignored). */
export function formatDuration(ms: number): string {
  let rest = Math.floor(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (unit === "s" && parts.length === 0)) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join(" ");
}
