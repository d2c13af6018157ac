import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, sha256Hex, toHex, utf8 } from "./encoding.js";

/** How far the webhook timestamp may be from the receiver's clock (contract.md, "Webhook"). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;
const KEY_ID = /^[0-9a-f]{16}$/;

/** The signed message: `"<timestamp>." + raw body`, so a signature cannot be replayed with another time. */
function signedMessage(timestamp: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const head = utf8(`${timestamp}.`);
  const rest = typeof body === "string" ? utf8(body) : body;
  const out = new Uint8Array(head.length + rest.length);
  out.set(head);
  out.set(rest, head.length);
  return out;
}

const hmacKey = (secret: string, usage: "sign" | "verify") =>
  crypto.subtle.importKey("raw", new Uint8Array(utf8(secret)), { name: "HMAC", hash: "SHA-256" }, false, [usage]);

/** The `X-Webhook-Signature` value: `sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`. */
export async function signWebhook(secret: string, timestamp: string | number, body: string | Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret, "sign"), signedMessage(String(timestamp), body));
  return `sha256=${toHex(new Uint8Array(mac))}`;
}

/**
 * The `X-Webhook-Key-Id` of a secret: it names the secret without revealing it, and stays the same
 * when WEBHOOK_SECRET_NEXT is promoted to WEBHOOK_SECRET, so an uploader need not change anything.
 */
export const webhookKeyId = (secret: string): string => sha256Hex(utf8(`tuf-edge webhook key id\n${secret}`)).slice(0, 16);

/** The headers of a signed request (the key id only when asked: without it the primary secret is meant). */
export async function webhookHeaders(secret: string, timestamp: string | number, body: string | Uint8Array, withKeyId = false) {
  return {
    "x-webhook-timestamp": String(timestamp),
    "x-webhook-signature": await signWebhook(secret, timestamp, body),
    ...(withKeyId ? { "x-webhook-key-id": webhookKeyId(secret) } : {}),
  };
}

/** What arrived in the headers of a webhook request. */
export interface WebhookHeaders {
  readonly timestamp: string | null | undefined;
  readonly signature: string | null | undefined;
  readonly keyId: string | null | undefined;
}

/**
 * An HMAC check fed the body as it arrives: nothing is read until the headers passed `startWebhookCheck`,
 * and the body is never copied to be authenticated.
 */
export interface WebhookCheck {
  update(chunk: Uint8Array): void;
  /** True when the body fed in is what the signature signed (constant-time comparison). */
  verify(): boolean;
}

/**
 * Everything that can be checked before the body is read: a timestamp within
 * WEBHOOK_TOLERANCE_SECONDS of `nowMs`, a well-formed signature, and a secret: the primary
 * (`secrets[0]`) unless `X-Webhook-Key-Id` names another. An unauthenticated request is refused here,
 * without reading a byte of its body. Returns the reason for a 401 as a string.
 */
export function startWebhookCheck(secrets: readonly (string | undefined)[], h: WebhookHeaders, nowMs: number): WebhookCheck | string {
  if (!h.timestamp || !TIMESTAMP.test(h.timestamp)) return "X-Webhook-Timestamp is missing or not unix seconds";
  if (Math.abs(nowMs / 1000 - Number(h.timestamp)) > WEBHOOK_TOLERANCE_SECONDS) {
    return `X-Webhook-Timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s from the server's clock`;
  }
  const m = SIGNATURE.exec((h.signature ?? "").trim());
  if (!m) return "X-Webhook-Signature is missing or not sha256=<64 hex>";
  const configured = secrets.filter((s): s is string => !!s);
  let secret: string | undefined = secrets[0] || undefined;
  if (h.keyId !== null && h.keyId !== undefined) {
    secret = KEY_ID.test(h.keyId) ? configured.find((s) => webhookKeyId(s) === h.keyId) : undefined;
    if (!secret) return "X-Webhook-Key-Id names no configured secret";
  }
  if (!secret) return "no webhook secret is configured";
  const expected = fromHex(m[1]!.toLowerCase());
  const mac = hmac.create(sha256, utf8(secret)).update(utf8(`${h.timestamp}.`));
  return {
    update: (chunk) => void mac.update(chunk),
    verify() {
      const actual = mac.digest();
      let diff = 0;
      for (let i = 0; i < actual.length; i++) diff |= actual[i]! ^ expected[i]!;
      return diff === 0;
    },
  };
}

/**
 * True when `header` is the signature of `body` at `timestamp` (unix seconds, as sent) and the
 * timestamp is within WEBHOOK_TOLERANCE_SECONDS of `nowMs`. WebCrypto's verify compares in
 * constant time.
 */
export async function verifyWebhook(
  secret: string,
  timestamp: string | null | undefined,
  body: string | Uint8Array,
  header: string | null | undefined,
  nowMs: number,
): Promise<boolean> {
  if (!secret || !timestamp || !header || !TIMESTAMP.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > WEBHOOK_TOLERANCE_SECONDS) return false;
  const m = SIGNATURE.exec(header.trim());
  if (!m) return false;
  const mac = new Uint8Array(fromHex(m[1]!));
  return crypto.subtle.verify("HMAC", await hmacKey(secret, "verify"), mac, signedMessage(timestamp, body));
}
