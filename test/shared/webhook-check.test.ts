// startWebhookCheck (shared/webhook.ts): the headers are judged before the body; the body is fed in
// chunks and must give the same answer as signWebhook over the whole, whichever secret the key id names.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signWebhook, startWebhookCheck, webhookKeyId } from "../../shared/webhook.js";

const PRIMARY = "primary-secret-0123456789";
const NEXT = "next-secret-9876543210";
const TS = "1767225600";
const NOW = Number(TS) * 1000;
const BODY = new TextEncoder().encode(JSON.stringify({ remove: Array.from({ length: 50 }, (_, i) => `packages/${i}.tar.gz`) }));

async function check(secret: string, keyId: string | undefined, chunkSize: number, body = BODY, secrets: (string | undefined)[] = [PRIMARY, NEXT]) {
  const c = startWebhookCheck(secrets, { timestamp: TS, signature: await signWebhook(secret, TS, BODY), keyId }, NOW);
  if (typeof c === "string") return c;
  for (let i = 0; i < body.length; i += chunkSize) c.update(body.subarray(i, i + chunkSize));
  return c.verify();
}

describe("startWebhookCheck", () => {
  it.each([1, 7, 64, 100_000])("agrees with signWebhook whatever the chunking (%i bytes)", async (size) => {
    expect(await check(PRIMARY, undefined, size)).toBe(true);
    const tampered = BODY.slice();
    tampered[BODY.length - 3]! ^= 1;
    expect(await check(PRIMARY, undefined, size, tampered)).toBe(false);
  });

  it("the primary without a key id; each secret under its own key id; nothing crosswise", async () => {
    expect(await check(PRIMARY, webhookKeyId(PRIMARY), 64)).toBe(true);
    expect(await check(NEXT, webhookKeyId(NEXT), 64)).toBe(true);
    expect(await check(NEXT, undefined, 64)).toBe(false);
    expect(await check(NEXT, webhookKeyId(PRIMARY), 64)).toBe(false);
    expect(await check(PRIMARY, webhookKeyId(NEXT), 64)).toBe(false);
  });

  it("refuses on headers alone: unknown or malformed key id, no secret, stale or malformed timestamp and signature", async () => {
    expect(await check(NEXT, webhookKeyId(NEXT), 64, BODY, [PRIMARY])).toMatch(/Key-Id/);
    expect(await check(PRIMARY, "PRIMARY", 64)).toMatch(/Key-Id/);
    expect(await check(PRIMARY, undefined, 64, BODY, ["", NEXT])).toMatch(/no webhook secret/);
    const headers = { timestamp: TS, signature: await signWebhook(PRIMARY, TS, BODY), keyId: undefined };
    expect(startWebhookCheck([PRIMARY], headers, NOW + 301_000)).toMatch(/Timestamp/);
    expect(startWebhookCheck([PRIMARY], { ...headers, timestamp: "1e9" }, NOW)).toMatch(/Timestamp/);
    expect(startWebhookCheck([PRIMARY], { ...headers, signature: "sha256=00" }, NOW)).toMatch(/Signature/);
    expect(startWebhookCheck([PRIMARY], { ...headers, signature: null }, NOW)).toMatch(/Signature/);
  });

  it.each([PRIMARY, NEXT, "ab".repeat(32), "sécret ünïcode 🐍"])("the key id of %j is the contract's: the first 16 hex of SHA-256(\"tuf-edge webhook key id\\n\" + secret), by node:crypto", (secret) => {
    const independent = createHash("sha256").update(Buffer.from(`tuf-edge webhook key id\n${secret}`, "utf8")).digest("hex").slice(0, 16);
    expect(webhookKeyId(secret)).toBe(independent);
  });

  it("key ids are 16 hex digits, distinct per secret, and stable", () => {
    expect(webhookKeyId(PRIMARY)).toMatch(/^[0-9a-f]{16}$/);
    expect(webhookKeyId(PRIMARY)).toBe(webhookKeyId(PRIMARY));
    expect(webhookKeyId(PRIMARY)).not.toBe(webhookKeyId(NEXT));
  });
});
