// Issue 12, findings 5 and 10: webhook secrets rotate without downtime (WEBHOOK_SECRET_NEXT, chosen by
// X-Webhook-Key-Id), so do admin tokens (ADMIN_TOKEN_NEXT); an unauthenticated request is refused on
// its headers, before its body is read; a request removing many paths is logged as `mass-removal`.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { webhookHeaders, webhookKeyId } from "../../shared/webhook.js";
import { bootstrap, waitFor } from "../support/repo.js";
import { postUnfinished, waitForOutcome } from "../support/uploads.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const NEXT_SECRET = "ef".repeat(32);
const NEXT_TOKEN = "12".repeat(32);
const now = () => Math.floor(Date.now() / 1000);
const removals = (n: number) => JSON.stringify({ remove: Array.from({ length: n }, (_, i) => `packages/gone/${i}.tar.gz`) });

async function post(w: TestWorker, body: string, headers: Record<string, string>) {
  const res = await fetch(`${w.url}/v1/uploads`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: res.status, answer: (await res.json()) as any };
}

describe("webhook and admin authentication", () => {
  let w: TestWorker;
  const output: string[] = [];
  beforeAll(async () => {
    w = await startWorker({ vars: { WEBHOOK_SECRET_NEXT: NEXT_SECRET, ADMIN_TOKEN_NEXT: NEXT_TOKEN }, onOutput: (text) => output.push(text) });
    await bootstrap(w, 4);
  });
  afterAll(() => w.close());

  test.each([
    ["no signature headers at all", () => ({})],
    ["a stale timestamp", () => ({ "x-webhook-timestamp": String(now() - 301), "x-webhook-signature": `sha256=${"0".repeat(64)}` })],
    ["a malformed signature", () => ({ "x-webhook-timestamp": String(now()), "x-webhook-signature": "sha256=zz" })],
    ["an unknown key id", () => ({ "x-webhook-timestamp": String(now()), "x-webhook-signature": `sha256=${"0".repeat(64)}`, "x-webhook-key-id": "0".repeat(16) })],
  ])("%s: 401 while the body is still being sent (it is never read)", async (_, headers) => {
    const res = await postUnfinished(w, new Uint8Array(4 * 1024 * 1024).fill(0x20), headers(), true);
    expect(res.status).toBe(401);
    expect(JSON.parse(res.text)).toMatchObject({ error: expect.any(String), reason: expect.any(String) });
  });

  test("both secrets are accepted during a rotation: the primary without a key id or with its own, the next with its own", async () => {
    const bodies = ["a", "b", "c"].map((x) => JSON.stringify({ targets: [{ path: `packages/rot/${x}.tar.gz`, length: 1, hashes: { sha256: "ab".repeat(32) } }] }));
    const results = [
      await post(w, bodies[0]!, await webhookHeaders(w.secrets.WEBHOOK_SECRET, now(), bodies[0]!)),
      await post(w, bodies[1]!, await webhookHeaders(w.secrets.WEBHOOK_SECRET, now(), bodies[1]!, true)),
      await post(w, bodies[2]!, await webhookHeaders(NEXT_SECRET, now(), bodies[2]!, true)),
    ];
    for (const r of results) expect(r.status, JSON.stringify(r.answer)).toBe(202);
    for (const r of results) expect((await waitForOutcome(w, r.answer.id)).state).toBe("published");
  });

  test("the key id is the secret's, not a slot's: it stays valid when the next secret is promoted", async () => {
    expect(webhookKeyId(NEXT_SECRET)).toMatch(/^[0-9a-f]{16}$/);
    expect(webhookKeyId(NEXT_SECRET)).not.toBe(webhookKeyId(w.secrets.WEBHOOK_SECRET));
    expect(webhookKeyId(NEXT_SECRET)).not.toContain(NEXT_SECRET.slice(0, 8));
  });

  test("either admin token is accepted; any other is not", async () => {
    const get = (token: string) => fetch(`${w.url}/v1/admin/resign`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect((await get("34".repeat(32))).status).toBe(401);
    const first = await get(NEXT_TOKEN);
    expect(first.status).toBe(202);
    // The first job is under way or done; the primary token is authenticated either way (202 or 409, never 401).
    expect([202, 409]).toContain((await get(w.secrets.ADMIN_TOKEN)).status);
  });

  test("a request removing more than 100 paths is logged as mass-removal at accept time; 100 is not", async () => {
    const many = removals(101);
    const few = removals(100);
    const a = await post(w, many, await webhookHeaders(w.secrets.WEBHOOK_SECRET, now(), many));
    const b = await post(w, few, await webhookHeaders(w.secrets.WEBHOOK_SECRET, now(), few));
    expect([a.status, b.status]).toEqual([202, 202]);
    const events = await waitFor("the mass-removal log line", async () => {
      const lines = output.join("").split("\n").filter((l) => l.includes('"mass-removal"'));
      return lines.length ? lines : null;
    });
    const logged = events.map((l) => JSON.parse(l.slice(l.indexOf("{"))));
    expect(logged).toEqual([{ event: "mass-removal", id: a.answer.id, removals: 101, keyId: webhookKeyId(w.secrets.WEBHOOK_SECRET), received: expect.any(String) }]);
    expect(output.join("")).not.toContain(w.secrets.WEBHOOK_SECRET);
  });

  // Last: it changes the Worker's secrets. The rotation's end (README, "Rotating the webhook
  // secret"): the next secret becomes WEBHOOK_SECRET and WEBHOOK_SECRET_NEXT is deleted.
  test("after the promotion the next secret is the only one: its key id still works, and so does no key id; the old secret does not", async () => {
    const old = w.secrets.WEBHOOK_SECRET;
    await w.reconfigure({ WEBHOOK_SECRET: NEXT_SECRET, WEBHOOK_SECRET_NEXT: "" });
    const body = (x: string) => JSON.stringify({ targets: [{ path: `packages/promoted/${x}.tar.gz`, length: 1, hashes: { sha256: "ab".repeat(32) } }] });
    const accepted = [
      await post(w, body("a"), await webhookHeaders(NEXT_SECRET, now(), body("a"), true)),
      await post(w, body("b"), await webhookHeaders(NEXT_SECRET, now(), body("b"))),
    ];
    for (const r of accepted) expect(r.status, JSON.stringify(r.answer)).toBe(202);
    for (const r of accepted) expect((await waitForOutcome(w, r.answer.id)).state).toBe("published");
    const refused = [
      await post(w, body("c"), await webhookHeaders(old, now(), body("c"))),
      await post(w, body("d"), await webhookHeaders(old, now(), body("d"), true)),
    ];
    expect(refused.map((r) => r.status)).toEqual([401, 401]);
    expect(refused[1]!.answer.reason).toMatch(/Key-Id names no configured secret/);
    // PUT /v1/content follows the same rule.
    const bytes = new TextEncoder().encode("promoted content");
    const put = (secret: string, keyId: boolean) =>
      webhookHeaders(secret, now(), bytes, keyId).then((headers) => fetch(`${w.url}/v1/content/${createHash("sha256").update(bytes).digest("hex")}`, { method: "PUT", headers, body: bytes }));
    expect((await put(old, false)).status).toBe(401);
    expect((await put(NEXT_SECRET, true)).status).toBe(201);
    expect((await put(NEXT_SECRET, false)).status).toBe(200);
  });
});
