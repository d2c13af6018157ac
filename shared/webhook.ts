import { fromHex, toHex, utf8 } from "./encoding.js";

/** How far the webhook timestamp may be from the receiver's clock (contract.md, "Webhook"). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

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
