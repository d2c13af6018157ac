import { Hono } from "hono";
import { formatExpires } from "../../shared/time.js";
import type { AppEnv } from "../env.js";
import { onlineSigners } from "../publish/signers.js";
import { loadState } from "../publish/state.js";
import { JobStore } from "../storage/jobs.js";
import { MetadataStore } from "../storage/metadata-store.js";

/** GET /v1/status: what an operator (or a monitor) needs to know at a glance. */
export const statusRoutes = new Hono<AppEnv>();

const role = (version: number, expires: number, now: number) => ({
  version,
  expires: formatExpires(expires),
  expiresInSeconds: Math.floor((expires - now) / 1000),
});

statusRoutes.get("/v1/status", async (c) => {
  const now = c.get("now");
  const [state, job, signers] = await Promise.all([
    loadState(new MetadataStore(c.env.METADATA)),
    new JobStore(c.env.METADATA).get(),
    onlineSigners(c.env),
  ]);
  const jobStatus = job && { ...job.job, root: undefined, targets: undefined };
  const onlineKeys = signers.map((s) => s.key.keyid);
  if (!state) return c.json({ published: false, job: jobStatus ?? null, onlineKeys });
  const s = state;
  return c.json({
    published: true,
    roles: {
      root: { version: s.notes.rootVersion },
      timestamp: role(s.timestamp.signed.version, s.timestamp.signed.expires, now),
      snapshot: role(s.snapshot.signed.version, s.snapshot.signed.expires, now),
      targets: role(s.targets.signed.version, s.targets.signed.expires, now),
      bins: { count: s.bins.numberOfBins, bitLength: s.bins.bitLength, namePrefix: s.bins.namePrefix, renewCursor: s.notes.renewCursor },
    },
    lastCommit: s.uploaded.toISOString(),
    job: jobStatus ?? null,
    onlineKeys,
  });
});
