import { CliError } from "./errors.js";
import type { Io } from "./io.js";

export interface Answer {
  readonly url: string;
  readonly status: number;
  readonly ok: boolean;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
}

const TIMEOUT_MS = 60_000;

/** fetch with a timeout; a network failure becomes a one-line CliError naming the URL. */
async function fetchOrFail(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CliError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

export async function request(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetchOrFail(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { url, status: response.status, ok: response.ok, body };
}

/** GET a file's bytes; null on 404. */
export async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const response = await fetchOrFail(url);
  if (response.status === 404) return null;
  if (!response.ok) throw new CliError(`${url} answered HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** The admin token must not cross a network in the clear: http:// only to this machine. */
export function assertSafeForSecrets(url: string): void {
  const { protocol, hostname } = new URL(url);
  if (protocol === "http:" && !LOOPBACK.test(hostname)) {
    throw new CliError(`refusing to send a secret over plain http:// to ${hostname}; use https:// (http:// is for 127.0.0.1 and localhost only)`);
  }
}

/** POST to an admin endpoint (`/v1/admin/...`) with the bearer token. */
export function postAdmin(baseUrl: string, path: string, body: unknown, token: string): Promise<Answer> {
  assertSafeForSecrets(baseUrl);
  return postJson(`${baseUrl}${path}`, JSON.stringify(body), { authorization: `Bearer ${token}` });
}

/** Prints the answer's body; throws (exit 1) on a 4xx/5xx, with the server's `error` when it gave one. */
export function printAnswer(io: Io, answer: Answer): void {
  const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body, null, 2);
  if (answer.ok) {
    if (text) io.out(text);
    return;
  }
  const { error, ...rest } = ((typeof answer.body === "object" && answer.body) || {}) as { error?: unknown };
  const details = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : "";
  const reason = typeof error === "string" ? `${error}${details}` : text.slice(0, 500) || "(empty body)";
  throw new CliError(`${answer.url} answered HTTP ${answer.status}: ${reason}`);
}
