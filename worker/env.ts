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
  TIMESTAMP_MAX_AGE?: string;
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
  timestampMaxAgeSeconds: number;
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
  return {
    binsBitLength: bits,
    timestampExpiry: seconds(env.TIMESTAMP_EXPIRY, 86400, "TIMESTAMP_EXPIRY") * 1000,
    snapshotExpiry: seconds(env.SNAPSHOT_EXPIRY, 86400, "SNAPSHOT_EXPIRY") * 1000,
    binsExpiry: seconds(env.BINS_EXPIRY, 86400, "BINS_EXPIRY") * 1000,
    retention: seconds(env.RETENTION_SECONDS, 3600, "RETENTION_SECONDS") * 1000,
    timestampMaxAgeSeconds: seconds(env.TIMESTAMP_MAX_AGE, 30, "TIMESTAMP_MAX_AGE"),
  };
}
