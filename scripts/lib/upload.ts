import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { FieldError, parseUploadRequest } from "../../shared/index.js";
import { webhookHeaders } from "../../shared/webhook.js";
import { secretFromEnv } from "./args.js";
import { CliError, UsageError } from "./errors.js";
import { type Answer, postJson, printAnswer, request } from "./http.js";
import type { Io } from "./io.js";
import { pollUntil } from "./poll.js";
import { repositoryUrl } from "./repository-url.js";

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

/** The options of every command that sends to the upload webhook. */
export const WEBHOOK_OPTIONS = {
  url: { type: "string" },
  "secret-env": { type: "string", default: "WEBHOOK_SECRET" },
  wait: { type: "boolean" },
  json: { type: "boolean" },
} as const;

export const WEBHOOK_USAGE = `  --url URL         the Worker's base URL (default: $TUF_EDGE_URL)
  --secret-env VAR  environment variable holding the webhook secret (default WEBHOOK_SECRET)
  --wait            wait until the upload is decided, and fail unless it was published
  --json            print the answer as one line of JSON
  -h, --help        show this help`;

/** Where to send and with which secret, from WEBHOOK_OPTIONS. */
export function webhookTarget(values: { url?: string; "secret-env": string }, io: Io): { url: string; secret: string } {
  const url = repositoryUrl(values.url, io);
  return { url, secret: secretFromEnv(io.env, values["secret-env"], "the webhook secret", "--secret-env") };
}

/** A mutable target's serial (contract.md): a non-negative whole number. */
export function parseSerial(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^(0|[1-9]\d{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--serial must be a whole number from 0 to 2^53 - 1, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** Checks a webhook body as the Worker will, so a bad flag is a usage error here and nothing is sent. */
export function checkBody(body: string, describe: (e: FieldError) => string): void {
  try {
    parseUploadRequest(JSON.parse(body));
  } catch (e) {
    if (e instanceof FieldError) throw new UsageError(describe(e));
    throw e;
  }
}

/** POSTs a webhook body to URL/v1/uploads, signed with the secret (contract.md, "Webhook"). */
export async function sendWebhook(url: string, secret: string, body: string): Promise<Answer> {
  return postJson(`${url}/v1/uploads`, body, await webhookHeaders(secret, Math.floor(Date.now() / 1000), body));
}

/**
 * Stores a mutable target's bytes (PUT URL/v1/content/{sha256}, signed like the webhook), which a
 * target with a serial needs before its webhook is accepted. 201 stored, 200 already there.
 */
export async function putContent(io: Io, url: string, secret: string, bytes: Uint8Array, sha256: string): Promise<void> {
  const headers = await webhookHeaders(secret, Math.floor(Date.now() / 1000), bytes);
  const answer = await request(`${url}/v1/content/${sha256}`, { method: "PUT", body: bytes, headers: { "content-type": "application/octet-stream", ...headers } });
  if (!answer.ok) printAnswer(io, answer);
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
