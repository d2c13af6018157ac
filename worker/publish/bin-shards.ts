import { fromBase64, toBase64 } from "../../shared/encoding.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Targets } from "../../shared/metadata/targets.js";
import type { Removal } from "../../shared/mutable.js";
import { binIndex } from "../../shared/bins.js";
import type { UploadTarget } from "../../shared/upload.js";
import type { Env } from "../env.js";
import { ContentStore } from "../storage/content.js";
import { PackageStore } from "../storage/packages.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { type RepoState, roleVersion } from "../storage/repository.js";
import type { BinEdit, BinWork, ContentAt, DistCheck, DistFinding, StoredContent, ViewsOfBins } from "./bin-work.js";
import { BIN_CONCURRENCY, mapBounded } from "./bounded.js";
import { signFile, writeBin } from "./commit.js";
import { onlineSigners } from "./signers.js";
import { checkDist } from "./dists.js";
import { viewsOfBin } from "./uploads.js";
import { claimRefusal } from "../storage/packages.js";

/**
 * The writer, scaled out (issue 20): a commit's bin work (the reads a decision needs, then signing
 * and writing each bin's next version) runs in shard Durable Objects instead of the one invocation
 * of the consumer, which has only six subrequests in flight. A shard keeps its bins parsed in
 * memory (storage/repository.ts's cache lives as long as its isolate), so a commit reads nothing
 * from R2 in the steady state. Shards are reached through a tree of router objects, six calls wide
 * at each level, so that many shards write at once. The sequencer (the consumer) still decides,
 * writes the snapshot and swaps the timestamp last: a crash anywhere leaves unreferenced versioned
 * files, never a visible half-commit (invariant 1), and the next attempt skips their names.
 */

/** Subrequests one invocation may have in flight (2026 limits): the width of the tree. */
const WIDTH = 6;

/** The shard of a bin: bins spread by index, so a rolling renewal range spreads over every shard. */
export const shardOf = (bin: string, shards: number): number => parseInt(bin.slice(bin.lastIndexOf("-") + 1), 16) % shards;

type Op = "views" | "write" | "create" | "claims" | "dists" | "content";
interface Task {
  readonly shard: number;
  readonly body: unknown;
}

async function call(ns: DurableObjectNamespace, name: string, op: Op | "route", body: unknown): Promise<unknown[]> {
  const stub = ns.get(ns.idFromName(name));
  const res = await stub.fetch(`https://bin-shard/${op}`, { method: "POST", body: JSON.stringify(body) });
  // The shard's own message, as the caller would have raised it itself (the shard logged its name).
  if (!res.ok) throw new Error(await res.text());
  return (await res.json()) as unknown[];
}

/** Runs `op` on every shard task, through routers when there are more than WIDTH; results in any order. */
async function fanOut(ns: DurableObjectNamespace, op: Op, tasks: readonly Task[], depth = 0): Promise<unknown[]> {
  if (tasks.length <= WIDTH) return (await Promise.all(tasks.map((t) => call(ns, `shard-${t.shard}`, op, t.body)))).flat();
  const size = Math.ceil(tasks.length / WIDTH);
  const chunks = Array.from({ length: WIDTH }, (_, i) => tasks.slice(i * size, (i + 1) * size)).filter((c) => c.length > 0);
  const results = await Promise.all(chunks.map((c) => call(ns, `router-${depth}-${c[0]!.shard}`, "route", { op, tasks: c, depth: depth + 1 })));
  return results.flat();
}

/**
 * A key that spreads per-target work (claims, dist checks) over the shards like bins: the bin the
 * path would have at 14 bits, whatever the repository's bit length.
 */
const spreadKey = (path: string) => `bins-${binIndex(path, 14).toString(16)}`;

function byShard<T>(items: Iterable<[string, T]>, shards: number): Map<number, [string, T][]> {
  const out = new Map<number, [string, T][]>();
  for (const item of items) {
    const s = shardOf(item[0], shards);
    (out.get(s) ?? out.set(s, []).get(s)!).push(item);
  }
  return out;
}

interface ViewsRequest { readonly bins: { name: string; version: number; paths: readonly string[] }[] }
interface ViewsAnswer { bin: string; bytes: number; unpublished: number; views: { path: string; current: unknown; removed: Removal | null }[] }
interface WriteRequest { readonly expires: number; readonly bins: { name: string; version: number; changes: { path: string; file: unknown; removal?: Removal }[] }[] }

/** The sequencer's side: bin views and writes fanned out to `shards` shard objects. */
export function shardedBins(ns: DurableObjectNamespace, shards: number): BinWork {
  return {
    async views(state: RepoState, byBin: ReadonlyMap<string, readonly string[]>): Promise<ViewsOfBins> {
      const tasks = [...byShard(byBin, shards)].map(([shard, bins]) => ({
        shard,
        body: { bins: bins.map(([name, paths]) => ({ name, version: roleVersion(state, name), paths })) } satisfies ViewsRequest,
      }));
      const out: ViewsOfBins = { view: new Map(), binBytes: new Map(), unpublishedRemovals: new Map() };
      for (const a of (await fanOut(ns, "views", tasks)) as ViewsAnswer[]) {
        out.binBytes.set(a.bin, a.bytes);
        out.unpublishedRemovals.set(a.bin, a.unpublished);
        for (const v of a.views) out.view.set(v.path, { bin: a.bin, current: v.current === null ? null : TargetFile.fromJSON(v.current, v.path), removed: v.removed });
      }
      return out;
    },
    async write(state: RepoState, bins: ReadonlyMap<string, BinEdit>, expires: number) {
      const tasks = [...byShard(bins, shards)].map(([shard, list]) => ({
        shard,
        body: {
          expires,
          bins: list.map(([name, changes]) => ({ name, version: roleVersion(state, name), changes: changes.map((c) => ({ ...c, file: c.file?.toJSON() ?? null })) })),
        } satisfies WriteRequest,
      }));
      return (await fanOut(ns, "write", tasks)) as [string, number, number][];
    },
    async claims(targets: readonly UploadTarget[], pagesMode: "render" | "index") {
      // Spread by the bin of each path; answers come back with their index.
      const byIndex = [...byShard(targets.map((t, i) => [spreadKey(t.path), { t, i }] as [string, { t: UploadTarget; i: number }]), shards)];
      const tasks = byIndex.map(([shard, list]) => ({ shard, body: { pagesMode, targets: list.map(([, x]) => x) } }));
      const out: (string | null)[] = new Array(targets.length).fill(null);
      for (const [i, reason] of (await fanOut(ns, "claims", tasks)) as [number, string | null][]) out[i] = reason;
      return out;
    },
    async checkDists(checks: readonly DistCheck[]) {
      // By the bin of the dist, so a dist and its .metadata meet in one shard.
      const dist = (path: string) => path.replace(/\.metadata$/, "");
      const grouped = [...byShard(checks.map((c, i) => [spreadKey(dist(c.target.path)), { c, i }] as [string, { c: DistCheck; i: number }]), shards)];
      const tasks = grouped.map(([shard, list]) => ({ shard, body: { checks: list.map(([, x]) => x) } }));
      const out: DistFinding[] = new Array(checks.length);
      for (const [i, finding] of (await fanOut(ns, "dists", tasks)) as [number, DistFinding][]) out[i] = finding;
      return out;
    },
    async storeContent(items: readonly ContentAt[]) {
      // Spread by the bin of each path, like claims; the bytes travel as base64.
      const grouped = [...byShard(items.map((c, i) => [spreadKey(c.path), { path: c.path, bytes: toBase64(c.bytes), i }] as [string, { path: string; bytes: string; i: number }]), shards)];
      const tasks = grouped.map(([shard, list]) => ({ shard, body: { items: list.map(([, x]) => x) } }));
      const out: StoredContent[] = new Array(items.length);
      for (const [i, stored] of (await fanOut(ns, "content", tasks)) as [number, StoredContent][]) out[i] = stored;
      return out;
    },
    async createFirst(names: readonly string[], expires: number) {
      const tasks = [...byShard(names.map((n) => [n, null] as [string, null]), shards)].map(([shard, list]) => ({ shard, body: { expires, names: list.map(([n]) => n) } }));
      await fanOut(ns, "create", tasks);
    },
  };
}

/** A shard's work on one request: its bins' views, or their next versions written. */
async function serve(env: Env, op: string, body: unknown): Promise<unknown[]> {
  const store = new MetadataStore(env.METADATA);
  if (op === "views") {
    const { bins } = body as ViewsRequest;
    return mapBounded(bins, BIN_CONCURRENCY, async ({ name, version, paths }) => {
      const v = await viewsOfBin(store, name, version, paths);
      return { bin: name, bytes: v.bytes, unpublished: v.unpublished, views: v.views.map((x) => ({ ...x, current: x.current?.toJSON() ?? null })) } satisfies ViewsAnswer;
    });
  }
  if (op === "write") {
    const { bins, expires } = body as WriteRequest;
    const ctx = { store, signers: await onlineSigners(env) };
    return mapBounded(bins, BIN_CONCURRENCY, ({ name, version, changes }) =>
      writeBin(ctx, name, version, changes.map((c) => ({ path: c.path, file: c.file === null ? null : TargetFile.fromJSON(c.file, c.path), ...(c.removal && { removal: c.removal }) })), expires),
    );
  }
  if (op === "claims") {
    const { pagesMode, targets } = body as { pagesMode: "render" | "index"; targets: { t: UploadTarget; i: number }[] };
    const packages = new PackageStore(env.PACKAGES);
    const content = new ContentStore(env.METADATA);
    return mapBounded(targets, BIN_CONCURRENCY, async ({ t, i }) => [i, await claimRefusal(pagesMode, packages, content, t)]);
  }
  if (op === "dists") {
    const { checks } = body as { checks: { c: DistCheck; i: number }[] };
    const stores = { packages: env.PACKAGES, content: new ContentStore(env.METADATA) };
    return mapBounded(checks, BIN_CONCURRENCY, async ({ c, i }) => [i, await checkDist(stores, c)]);
  }
  if (op === "content") {
    const { items } = body as { items: { path: string; bytes: string; i: number }[] };
    const content = new ContentStore(env.METADATA);
    return mapBounded(items, BIN_CONCURRENCY, async ({ path, bytes, i }) => {
      const { sha256, length } = await content.putAt(path, fromBase64(bytes));
      return [i, { sha256, length } satisfies StoredContent];
    });
  }
  if (op === "create") {
    const { names, expires } = body as { names: string[]; expires: number };
    const signers = await onlineSigners(env);
    const bytes = await signFile(new Targets({ version: 1, expires }), signers);
    // Every empty bin of one expiry has the same bytes: signed once, stored under each name.
    return mapBounded(names, BIN_CONCURRENCY, (name) => store.create(`1.${name}.json`, bytes));
  }
  if (op === "route") {
    const r = body as { op: Op; tasks: Task[]; depth: number };
    return fanOut(env.BIN_SHARDS!, r.op, r.tasks, r.depth);
  }
  throw new Error(`unknown shard operation ${op}`);
}

/**
 * The shard Durable Object class; `wrapEnv` as in createWorker (the bench's production model wraps
 * each invocation's bindings). It holds no state of its own but the isolate's cache of parsed bins.
 */
export function createBinShard(wrapEnv: (env: Env) => Env = (env) => env) {
  return class BinShard {
    constructor(
      readonly state: DurableObjectState,
      readonly env: Env,
    ) {}

    async fetch(request: Request): Promise<Response> {
      const op = new URL(request.url).pathname.slice(1);
      try {
        return Response.json(await serve(wrapEnv(this.env), op, await request.json()));
      } catch (e) {
        console.error(JSON.stringify({ event: "bin-shard-failed", shard: this.state.id.name ?? this.state.id.toString(), op, error: (e as Error).message }));
        return new Response((e as Error).message, { status: 500 });
      }
    }
  };
}
