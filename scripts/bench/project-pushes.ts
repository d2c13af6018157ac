import { ed25519Signer, randomSeed, utf8, type Signer } from "../../shared/index.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Targets } from "../../shared/metadata/targets.js";
import { CLAIMED, UNCLAIMED, migrateToProjectLayout, pushAuthorization } from "../../shared/projects/index.js";
import { sha256Hex } from "../../shared/encoding.js";
import { bootstrapRepository, devCeremony, getJson } from "../lib/dev-repo.js";
import { postAdmin, postJson } from "../lib/http.js";
import { startLocalWorker } from "../lib/local-worker.js";
import { pollUntil } from "../lib/poll.js";
import { median } from "./publish.js";

/**
 * PEP 480 on the running Worker: the move to the layout at a ceremony, then `claims` claims (each
 * with its first role) and one push per claimed project, all sent at once (16 in flight), as the
 * writer commits them. Latency is the Worker's own: from `received` to `published` in each upload
 * record. Run locally and in the production model (30 ms per R2 call, 6 in flight per invocation).
 */

const YEAR = 365 * 86_400_000;
const FILES = 10;

export interface ProjectPushesOptions {
  readonly entry?: string;
  readonly vars?: Record<string, string>;
  readonly bits: number;
  readonly claims: number;
  /** Files of the large project's role. */
  readonly largeFiles: number;
  readonly log: (line: string) => void;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await run(items[next++]!);
  }));
}

/** Each upload id decided; throughput over the span from the first received to the last published, latencies from the records. */
async function decided(url: string, ids: string[]) {
  const records: { state: string; received: string; published?: string; rejected?: unknown }[] = [];
  for (const id of ids) {
    records.push(await pollUntil(`upload ${id}`, async () => {
      const r = await getJson(`${url}/v1/uploads/${id}`);
      return r.state === "queued" ? undefined : r;
    }, { timeoutMs: 600_000, intervalMs: 100 }));
  }
  const bad = records.find((r) => r.state !== "published");
  if (bad) throw new Error(`an upload was not published: ${JSON.stringify(bad).slice(0, 400)}`);
  const latencies = records.map((r) => Date.parse(r.published!) - Date.parse(r.received));
  const first = Math.min(...records.map((r) => Date.parse(r.received)));
  const last = Math.max(...records.map((r) => Date.parse(r.published!)));
  return { count: records.length, perSecond: Math.round((records.length / Math.max(1, last - first)) * 1000 * 10) / 10, p50Ms: median(latencies), p99Ms: percentile(latencies, 0.99) };
}

/** A role of `files` files, named for release `release` (by default the role's version). */
async function role(version: number, project: string, signer: Signer, files = FILES, release = version) {
  const targets = new Map(Array.from({ length: files }, (_, i) => {
    const path = `packages/ab/cd/ef/${project.replace(/-/g, "_")}-${release}.${i}-py3-none-any.whl`;
    return [path, new TargetFile(1000 + i, { sha256: sha256Hex(utf8(path)) })] as const;
  }));
  return new Metadata(new Targets({ version, expires: Date.now() + YEAR, targets })).sign([signer]);
}

export async function benchProjectPushes(o: ProjectPushesOptions) {
  const w = await startLocalWorker({ entry: o.entry, vars: { SIMPLE_PAGES: "index", ...o.vars } });
  try {
    const online = (await ed25519Signer(w.onlineSeed)).key;
    const c = await devCeremony(online, o.bits);
    await bootstrapRepository(w.url, w.secrets.ADMIN_TOKEN, c);
    // The move, at a ceremony: targets M+1, claimed and unclaimed v1, signed by the targets key.
    const offline = c.targetsKeys[0]!;
    const move = migrateToProjectLayout(c.targets.signed, { offline: [offline.key], offlineThreshold: 1, online: [online] }, { offline: Date.now() + YEAR, online: Date.now() + YEAR });
    const sign = (t: Targets) => new Metadata(t).sign([offline]).then((m) => m.toJSON());
    const t0 = performance.now();
    const res = await postAdmin(w.url, "/v1/admin/targets", { targets: await sign(move.targets), roles: { claimed: await sign(move.roles.get(CLAIMED)!), unclaimed: await sign(move.roles.get(UNCLAIMED)!) } }, w.secrets.ADMIN_TOKEN);
    if (res.status !== 202) throw new Error(`the move answered ${res.status}: ${JSON.stringify(res.body)}`);
    const job = (res.body as { job: string }).job;
    await pollUntil("the move", async () => {
      const s = await getJson(`${w.url}/v1/status`);
      if (s.job?.id === job && s.job.error) throw new Error(`the move failed: ${s.job.error}`);
      return (s.job?.id === job && s.job.finished) || undefined;
    }, { timeoutMs: 600_000, intervalMs: 100 });
    const moveSeconds = Math.round((performance.now() - t0) / 100) / 10;
    o.log(`the move to PEP 480's layout (${2 ** o.bits} bins): ${moveSeconds} s`);

    const projects = Array.from({ length: o.claims }, (_, i) => `bench-project-${i}`);
    const keys = await Promise.all(projects.map(() => ed25519Signer(randomSeed())));
    const claimIds: string[] = [];
    await inParallel(projects.map((p, i) => [p, keys[i]!] as const), 16, async ([project, key]) => {
      const body = { project, keys: { [key.key.keyid]: key.key.toJSON() }, threshold: 1, role: (await role(1, project, key)).toJSON() };
      const answer = await postAdmin(w.url, "/v1/admin/claims", body, w.secrets.ADMIN_TOKEN);
      if (answer.status !== 202) throw new Error(`a claim answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      claimIds.push((answer.body as { id: string }).id);
    });
    const claims = await decided(w.url, claimIds);
    o.log(`${claims.count} claims: ${claims.perSecond}/s, accepted → published p50 ${claims.p50Ms} ms, p99 ${claims.p99Ms} ms`);

    const pushIds: string[] = [];
    await inParallel(projects.map((p, i) => [p, keys[i]!] as const), 16, async ([project, key]) => {
      const body = JSON.stringify({ role: `project-${project}`, metadata: (await role(2, project, key)).toJSON() });
      const authorization = await pushAuthorization(key, project, utf8(body), Date.now());
      const answer = await postJson(`${w.url}/v1/projects/${project}/role`, body, { authorization });
      if (answer.status !== 202) throw new Error(`a push answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      pushIds.push((answer.body as { id: string }).id);
    });
    const pushes = await decided(w.url, pushIds);
    o.log(`${pushes.count} pushes of ${FILES}-file roles: ${pushes.perSecond}/s, accepted → published p50 ${pushes.p50Ms} ms, p99 ${pushes.p99Ms} ms`);

    // A project with thousands of files (its history), claimed with all of them in its first role, then
    // a release of one more: the request path checks each new file's bytes, the writer publishes it.
    const big = await ed25519Signer(randomSeed());
    const large = async (send: () => Promise<{ status: number; body: unknown }>) => {
      const t = performance.now();
      const answer = await send();
      const requestMs = Math.round(performance.now() - t);
      if (answer.status !== 202) throw new Error(`the large project's request answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      const { p50Ms } = await decided(w.url, [(answer.body as { id: string }).id]);
      return { requestMs, publishedMs: p50Ms };
    };
    const firstRole = await role(1, "bench-large", big, o.largeFiles);
    const claimLarge = await large(() => postAdmin(w.url, "/v1/admin/claims", { project: "bench-large", keys: { [big.key.keyid]: big.key.toJSON() }, threshold: 1, role: firstRole.toJSON() }, w.secrets.ADMIN_TOKEN));
    const next = JSON.stringify({ role: "project-bench-large", metadata: (await role(2, "bench-large", big, o.largeFiles + 1, 1)).toJSON() });
    const pushLarge = await large(async () => postJson(`${w.url}/v1/projects/bench-large/role`, next, { authorization: await pushAuthorization(big, "bench-large", utf8(next), Date.now()) }));
    o.log(`a project of ${o.largeFiles} files: claimed in ${claimLarge.requestMs} ms (published ${claimLarge.publishedMs} ms after), a release of one more file pushed in ${pushLarge.requestMs} ms (published ${pushLarge.publishedMs} ms after)`);
    return { bins: 2 ** o.bits, moveSeconds, claims, pushes, largeProject: { files: o.largeFiles, bytes: next.length, claim: claimLarge, push: pushLarge } };
  } finally {
    await w.close();
  }
}
