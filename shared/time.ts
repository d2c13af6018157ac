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
