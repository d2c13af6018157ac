import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "../../shared/webhook.js";

describe("shared/webhook", () => {
  const secret = "whsec-test-0123456789";
  const timestamp = "1767225600";
  const body = '{"targets":[{"path":"packages/ab/cd/example-1.0.tar.gz","length":3,"hashes":{"sha256":"' + "0".repeat(64) + '"}}]}';
  // Independently: HMAC-SHA256(secret, "<timestamp>." + body) with node:crypto.
  const expected = `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;

  it("signs like createHmac over `<timestamp>.<raw body>` (known vector)", async () => {
    expect(await signWebhook(secret, timestamp, body)).toBe(expected);
    expect(await signWebhook(secret, Number(timestamp), new TextEncoder().encode(body))).toBe(expected);
    // A fixed vector (createHmac("sha256", "key").update("0.")), so a change of scheme on both sides is caught.
    expect(await signWebhook("key", 0, "")).toBe("sha256=85841b4efc3cd7776c3c8f9b7cca9e281c550e5d19889d78e9e669c6337f000d");
  });

  it("verifies the right signature within 300 s, and nothing else", async () => {
    const now = Number(timestamp) * 1000;
    expect(await verifyWebhook(secret, timestamp, body, expected, now)).toBe(true);
    expect(await verifyWebhook(secret, timestamp, body, expected.toUpperCase().replace("SHA256=", "sha256="), now + 299_000)).toBe(true);
    expect(await verifyWebhook(secret, timestamp, body, expected, now + 301_000)).toBe(false);
    expect(await verifyWebhook(secret, timestamp, body, expected, now - 301_000)).toBe(false);
    expect(await verifyWebhook(secret, timestamp, `${body} `, expected, now)).toBe(false);
    expect(await verifyWebhook("other", timestamp, body, expected, now)).toBe(false);
    expect(await verifyWebhook(secret, String(Number(timestamp) + 1), body, expected, now)).toBe(false);
    expect(await verifyWebhook(secret, timestamp, body, expected.slice("sha256=".length), now)).toBe(false);
    expect(await verifyWebhook(secret, timestamp, body, "sha256=zz", now)).toBe(false);
    expect(await verifyWebhook(secret, undefined, body, expected, now)).toBe(false);
    expect(await verifyWebhook(secret, timestamp, body, null, now)).toBe(false);
    expect(await verifyWebhook(secret, "1e9", body, expected, now)).toBe(false);
    expect(await verifyWebhook("", timestamp, body, expected, now)).toBe(false);
  });
});
