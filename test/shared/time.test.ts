import { describe, expect, it } from "vitest";
import { Metadata, formatExpires, isExpired, parseExpires } from "../../shared/index.js";
import { expectFieldError, makeBin, served } from "./fixtures.js";

describe("parseExpires", () => {
  it("reads YYYY-MM-DDTHH:MM:SSZ as whole-second UTC", () => {
    expect(parseExpires("2026-06-01T12:34:56Z")).toBe(Date.UTC(2026, 5, 1, 12, 34, 56));
    expect(parseExpires("1970-01-01T00:00:00Z")).toBe(0);
  });

  it("accepts a leap day and refuses one in a common year", () => {
    expect(parseExpires("2028-02-29T00:00:00Z")).toBe(Date.UTC(2028, 1, 29));
    expect(parseExpires("2000-02-29T23:59:59Z")).toBe(Date.UTC(2000, 1, 29, 23, 59, 59));
    expectFieldError(() => parseExpires("2027-02-29T00:00:00Z"), "expires");
    expectFieldError(() => parseExpires("2100-02-29T00:00:00Z"), "expires");
  });

  it.each([
    ["milliseconds", "2026-06-01T12:00:00.000Z"],
    ["no Z", "2026-06-01T12:00:00"],
    ["an offset", "2026-06-01T12:00:00+00:00"],
    ["a lower-case z", "2026-06-01T12:00:00z"],
    ["a space for T", "2026-06-01 12:00:00Z"],
    ["no seconds", "2026-06-01T12:00Z"],
    ["a date only", "2026-06-01"],
    ["February 30", "2026-02-30T00:00:00Z"],
    ["April 31", "2026-04-31T00:00:00Z"],
    ["month 13", "2026-13-01T00:00:00Z"],
    ["day 0", "2026-01-00T00:00:00Z"],
    ["hour 24", "2026-01-01T24:00:00Z"],
    ["minute 60", "2026-01-01T00:60:00Z"],
    ["a leap second", "2016-12-31T23:59:60Z"],
    ["a two-digit year", "26-06-01T12:00:00Z"],
    ["a trailing newline", "2026-06-01T12:00:00Z\n"],
    ["full-width digits", "２026-06-01T12:00:00Z"],
  ])("refuses %s", (_, text) => {
    const e = expectFieldError(() => parseExpires(text, "signed.expires"), "signed.expires");
    expect(e.message).toContain(JSON.stringify(text).slice(1, 5));
  });
});

describe("formatExpires", () => {
  it("truncates milliseconds to whole seconds", () => {
    expect(formatExpires(Date.UTC(2026, 5, 1, 12, 0, 0, 999))).toBe("2026-06-01T12:00:00Z");
    expect(formatExpires(Date.UTC(2026, 5, 1, 12, 0, 1, 1))).toBe("2026-06-01T12:00:01Z");
  });

  it("round-trips through parseExpires", () => {
    for (const ms of [0, Date.UTC(2028, 1, 29, 23, 59, 59), Date.UTC(9999, 11, 31, 23, 59, 59)]) {
      expect(parseExpires(formatExpires(ms))).toBe(ms);
    }
  });
});

describe("isExpired", () => {
  const expires = Date.UTC(2026, 5, 1);
  it("is expired at exactly expires and after, not before", () => {
    expect(isExpired(expires, expires - 1)).toBe(false);
    expect(isExpired(expires, expires)).toBe(true);
    expect(isExpired(expires, expires + 1)).toBe(true);
  });
});

describe("expires in metadata", () => {
  it("refuses milliseconds in a served file, naming the field", () => {
    const json = served(new Metadata(makeBin([])));
    json.signed.expires = "2026-06-02T12:00:00.000Z";
    expectFieldError(() => Metadata.fromJSON(json, "targets"), "signed.expires");
  });

  it("truncates a built expiry to whole seconds, and refuses one that is not a time", () => {
    const bin = makeBin([], 1, Date.UTC(2026, 5, 1) + 999);
    expect(bin.expires).toBe(Date.UTC(2026, 5, 1));
    expect(bin.toJSON().expires).toBe("2026-06-01T00:00:00Z");
    expectFieldError(() => makeBin([], 1, NaN), "expires");
  });
});
