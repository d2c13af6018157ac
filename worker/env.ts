import type { QueueMessage } from "./storage/messages.js";

/** Bindings, secrets and vars (contract.md, "Configuration"). */
export interface Env {
  METADATA: R2Bucket;
  PACKAGES: R2Bucket;
  UPLOADS: Queue<QueueMessage>;
  ONLINE_KEY: string;
  /** During an online key rotation: the incoming key, which co-signs until the new root is live. */
  ONLINE_KEY_NEXT?: string;
  WEBHOOK_SECRET: string;
  ADMIN_TOKEN: string;
  /** During a rotation: a second bearer token accepted beside ADMIN_TOKEN. */
  ADMIN_TOKEN_NEXT?: string;
  /** During a rotation: a second webhook secret, chosen by `X-Webhook-Key-Id` (see shared/webhook.ts). */
  WEBHOOK_SECRET_NEXT?: string;
  /** Where /targets redirects: the file host, an absolute http(s) URL. Required outside development. */
  FILES_BASE_URL?: string;
  /**
   * "true" turns on local development (what `npm start` sets): /files serves the packages bucket,
   * /targets redirects there, and PUT /v1/admin/files stores files. Anything else is production.
   */
  DEV_MODE?: string;
  BINS_BIT_LENGTH?: string;
  TIMESTAMP_EXPIRY?: string;
  SNAPSHOT_EXPIRY?: string;
  BINS_EXPIRY?: string;
  RETENTION_SECONDS?: string;
  UPLOAD_RETENTION_SECONDS?: string;
  TIMESTAMP_MAX_AGE?: string;
  TIMESTAMP_RENEW_MARGIN?: string;
  SNAPSHOT_RENEW_MARGIN?: string;
  /** Who renders the simple pages: "render" (tuf-edge, from the packages bucket; default) or "index". */
  SIMPLE_PAGES?: string;
  /** Shard Durable Objects that read and write bins for the writer (worker/publish/bin-shards.ts). */
  BIN_SHARDS?: DurableObjectNamespace;
  /** How many shards the writer fans bin work out to; "0" keeps it in the consumer's invocation. */
  WRITER_SHARDS?: string;
  /** The sequencer Durable Object that owns the writer's inbox and commits on its alarm (worker/publish/sequencer.ts). */
  SEQUENCER?: DurableObjectNamespace;
  /** "sequencer" (default where SEQUENCER is bound) or "consumer": the queue consumer commits itself, as before. */
  WRITER?: string;
}

/** Development behaviour only when switched on explicitly: production is the default. */
export const isDevelopment = (env: Pick<Env, "DEV_MODE">): boolean => env.DEV_MODE === "true";

/**
 * The base that /targets redirects to, without a trailing slash: FILES_BASE_URL, or in development
 * without one, this Worker's own /files as a relative URL (never built from the Host header). An
 * Error that says what to set when neither applies: production fails closed.
 */
export function filesBaseUrl(env: Pick<Env, "DEV_MODE" | "FILES_BASE_URL">): string | Error {
  const base = env.FILES_BASE_URL ?? "";
  if (base === "") {
    return isDevelopment(env) ? "/files" : new Error("FILES_BASE_URL is not configured: set it to the file host (wrangler.toml [vars])");
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    return new Error("FILES_BASE_URL is not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return new Error("FILES_BASE_URL must be an http(s) URL");
  if (url.search || url.hash) return new Error("FILES_BASE_URL must not have a query or fragment");
  return base.replace(/\/+$/, "");
}

export interface AppEnv {
  Bindings: Env;
  /** `now`: the request's time in ms, from the Worker's clock (settable in tests). */
  Variables: { now: number };
}

export interface Config {
  binsBitLength: number;
  /** Lifetimes in milliseconds. */
  timestampExpiry: number;
  snapshotExpiry: number;
  binsExpiry: number;
  retention: number;
  /** How long upload records (GET /v1/uploads/{id}) are kept after they were received, ms. */
  uploadRetention: number;
  timestampMaxAgeSeconds: number;
  /** The cron re-signs timestamp (snapshot) when it has less than this left, ms. */
  timestampRenewMargin: number;
  snapshotRenewMargin: number;
  /** render: tuf-edge renders each project's pages from its distributions; index: the index sends them. */
  pagesMode: "render" | "index";
  /** Shard objects the writer fans bin work out to (0: none). */
  writerShards: number;
}

function seconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${value}`);
  return n;
}

function pagesMode(value: string | undefined): "render" | "index" {
  if (value === undefined || value === "" || value === "render") return "render";
  if (value === "index") return "index";
  throw new Error(`SIMPLE_PAGES must be "render" or "index", got ${value}`);
}

export function readConfig(env: Env): Config {
  const bits = seconds(env.BINS_BIT_LENGTH, 14, "BINS_BIT_LENGTH");
  if (bits > 16) throw new Error("BINS_BIT_LENGTH must be at most 16");
  const timestampExpiry = seconds(env.TIMESTAMP_EXPIRY, 86400, "TIMESTAMP_EXPIRY");
  const snapshotExpiry = seconds(env.SNAPSHOT_EXPIRY, 86400, "SNAPSHOT_EXPIRY");
  return {
    binsBitLength: bits,
    timestampExpiry: timestampExpiry * 1000,
    snapshotExpiry: snapshotExpiry * 1000,
    binsExpiry: seconds(env.BINS_EXPIRY, 86400, "BINS_EXPIRY") * 1000,
    retention: seconds(env.RETENTION_SECONDS, 3600, "RETENTION_SECONDS") * 1000,
    uploadRetention: seconds(env.UPLOAD_RETENTION_SECONDS, 7 * 86400, "UPLOAD_RETENTION_SECONDS") * 1000,
    timestampMaxAgeSeconds: seconds(env.TIMESTAMP_MAX_AGE, 30, "TIMESTAMP_MAX_AGE"),
    // Default: renew at half the lifetime, so a cron that misses runs for that long still keeps it valid.
    timestampRenewMargin: seconds(env.TIMESTAMP_RENEW_MARGIN, Math.floor(timestampExpiry / 2), "TIMESTAMP_RENEW_MARGIN") * 1000,
    snapshotRenewMargin: seconds(env.SNAPSHOT_RENEW_MARGIN, Math.floor(snapshotExpiry / 2), "SNAPSHOT_RENEW_MARGIN") * 1000,
    pagesMode: pagesMode(env.SIMPLE_PAGES),
    writerShards: env.WRITER_SHARDS === "0" ? 0 : seconds(env.WRITER_SHARDS, 64, "WRITER_SHARDS"),
  };
}
