import { sha256Hex, toHex, utf8 } from "../encoding.js";
import type { Key, Signer } from "../keys.js";
import { ProjectRefusal } from "./refusal.js";

/**
 * How a maintainer authenticates `POST /v1/projects/{project}/role` without the index's
 * ADMIN_TOKEN: one of the project's delegated keys signs the request. The body is signed
 * metadata, which the Worker checks for its threshold anyway; this signature lets it refuse a
 * stranger before reading a body, and binds the body to the project, the time and the key.
 * A replay inside the window changes nothing: the same version again is refused as not higher.
 *
 *   Authorization: TUF-Edge-Maintainer keyid=<64 hex>, ts=<unix seconds>, sig=<128 hex>
 *   sig = Ed25519 over "tuf-edge project push\n<project>\n<ts>\n<sha256 hex of the body>"
 */
export const PUSH_SCHEME = "TUF-Edge-Maintainer";
export const PUSH_WINDOW_SECONDS = 300;

const message = (project: string, ts: number, body: Uint8Array) => utf8(`tuf-edge project push\n${project}\n${ts}\n${sha256Hex(body)}`);

export async function pushAuthorization(signer: Signer, project: string, body: Uint8Array, nowMs: number): Promise<string> {
  const ts = Math.floor(nowMs / 1000);
  const sig = toHex(await signer.sign(message(project, ts, body)));
  return `${PUSH_SCHEME} keyid=${signer.key.keyid}, ts=${ts}, sig=${sig}`;
}

const HEADER = /^TUF-Edge-Maintainer keyid=([0-9a-f]{64}), ts=(\d{1,12}), sig=([0-9a-f]{128})$/;

/** The header's keyid and time, checkable before the body is read. */
export function parsePushAuthorization(header: string | null, keys: Readonly<Record<string, Key>>, nowMs: number) {
  const m = HEADER.exec(header ?? "");
  if (!m) throw new ProjectRefusal("malformed", `Authorization must be "${PUSH_SCHEME} keyid=…, ts=…, sig=…"`, "authorization");
  const [, keyid, ts, sig] = m as unknown as [string, string, string, string];
  if (!Object.hasOwn(keys, keyid)) throw new ProjectRefusal("threshold", `key ${keyid} is not one of the project's keys`, "authorization");
  if (Math.abs(nowMs / 1000 - Number(ts)) > PUSH_WINDOW_SECONDS) throw new ProjectRefusal("expired", `the request's time is more than ${PUSH_WINDOW_SECONDS} s from the index's clock`, "authorization");
  return { key: keys[keyid]!, ts: Number(ts), sig };
}

/** Then, with the body read (bounded), the signature over it. */
export function checkPushSignature(auth: ReturnType<typeof parsePushAuthorization>, project: string, body: Uint8Array): void {
  if (!auth.key.verify(auth.sig, message(project, auth.ts, body))) {
    throw new ProjectRefusal("threshold", "the request's signature does not verify", "authorization");
  }
}
