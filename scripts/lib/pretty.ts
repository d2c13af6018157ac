import { formatDuration } from "./duration.js";

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A JSON value as indented `key: value` lines; times get "in 23h 59m" / "2m 3s ago" beside them. */
export function prettyLines(value: unknown, now: number, indent = ""): string[] {
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== "object" || v === null)) return [`${indent}${value.map((v) => scalar("", v, now)).join(", ") || "(none)"}`];
    return value.flatMap((v) => {
      const [first = "", ...rest] = prettyLines(v, now, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (typeof value !== "object" || value === null) return [`${indent}${scalar("", value, now)}`];
  return Object.entries(value).flatMap(([key, v]) => {
    if (typeof v === "object" && v !== null && !(Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null))) {
      return [`${indent}${key}:`, ...prettyLines(v, now, `${indent}  `)];
    }
    return [`${indent}${key}: ${Array.isArray(v) ? prettyLines(v, now)[0] : scalar(key, v, now)}`];
  });
}

function scalar(key: string, v: unknown, now: number): string {
  if (typeof v !== "string") return String(v);
  if (!ISO_TIME.test(v)) return v;
  const delta = Date.parse(v) - now;
  if (delta > 0) return `${v} (in ${formatDuration(delta)})`;
  return `${v} (${/expir/i.test(key) ? "EXPIRED " : ""}${formatDuration(-delta)} ago)`;
}
