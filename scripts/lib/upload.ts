import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { signWebhook } from "../../shared/webhook.js";
import { CliError } from "./errors.js";

/** Length and sha256 of a local file, streamed (wheels and sdists can be large). */
export async function hashFile(file: string): Promise<{ length: number; sha256: string }> {
  const hash = createHash("sha256");
  let length = 0;
  try {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer);
      length += (chunk as Buffer).length;
    }
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { length, sha256: hash.digest("hex") };
}

/** The headers that authenticate a webhook body (contract.md, "Webhook"). */
export async function webhookHeaders(secret: string, body: string, nowMs: number): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return { "x-webhook-timestamp": timestamp, "x-webhook-signature": await signWebhook(secret, timestamp, body) };
}
