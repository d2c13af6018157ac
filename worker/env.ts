import type { QueueMessage } from "./publish/messages.js";

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
  FILES_BASE_URL?: string;
  BINS_BIT_LENGTH?: string;
  TIMESTAMP_EXPIRY?: string;
  SNAPSHOT_EXPIRY?: string;
  BINS_EXPIRY?: string;
  RETENTION_SECONDS?: string;
  UPLOAD_RETENTION_SECONDS?: string;
  TIMESTAMP_MAX_AGE?: string;
  TIMESTAMP_RENEW_MARGIN?: string;
  SNAPSHOT_RENEW_MARGIN?: string;
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
}

function seconds(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive whole number, got ${value}`);
  return n;
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
  };
}
