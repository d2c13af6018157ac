import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { signWebhook } from "../../shared/webhook.js";
import { CliError } from "./errors.js";
import { type Answer, postJson, printAnswer, request } from "./http.js";
import type { Io } from "./io.js";
import { pollUntil } from "./poll.js";

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

/** POSTs a webhook body to URL/v1/uploads, signed with the secret (contract.md, "Webhook"). */
export async function sendWebhook(url: string, secret: string, body: string): Promise<Answer> {
  return postJson(`${url}/v1/uploads`, body, await webhookHeaders(secret, body, Date.now()));
}

/**
 * Prints the webhook's answer (the upload id, and how to look it up); with `wait`, polls
 * GET /v1/uploads/{id} until it is decided, prints the record, and fails unless it was published.
 */
export async function reportUpload(io: Io, url: string, answer: Answer, wait: boolean, json: boolean): Promise<void> {
  if (!answer.ok) printAnswer(io, answer);
  const id = (answer.body as { id?: unknown } | null)?.id;
  if (typeof id !== "string") throw new CliError("the answer has no upload id");
  const lookup = `${url}/v1/uploads/${encodeURIComponent(id)}`;
  if (!wait) {
    io.out(json ? JSON.stringify({ ...(answer.body as object), lookup }) : `accepted: upload ${id}; its state: ${lookup}`);
    return;
  }
  if (!json) io.out(`accepted: upload ${id}; waiting for it to be published …`);
  const final = await pollUntil(`upload ${id}`, async () => {
    const state = await request(lookup);
    if (!state.ok) printAnswer(io, state);
    const body = state.body as { state?: unknown };
    return body.state === "queued" ? undefined : body;
  }, { onWait: (ms) => io.progress(`upload ${id} queued … ${Math.round(ms / 1000)}s`) });
  io.progress("");
  io.out(json ? JSON.stringify(final) : JSON.stringify(final, null, 2));
  if (final.state !== "published") throw new CliError(`upload ${id} was ${String(final.state)} (see ${lookup})`);
}
