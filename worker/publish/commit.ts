import { sha256Hex } from "../../shared/encoding.js";
import type { Signer } from "../../shared/keys.js";
import type { MetaFile } from "../../shared/metadata/files.js";
import type { Metadata } from "../../shared/metadata/metadata.js";
import type { Snapshot } from "../../shared/metadata/snapshot.js";
import type { Targets } from "../../shared/metadata/targets.js";
import type { Clock } from "../../shared/time.js";
import type { Config } from "../env.js";
import { type SupersededContent, recordCommit } from "../storage/commits.js";
import type { MetadataStore } from "../storage/metadata-store.js";
import {
  type RepoState, type TimestampNotes, loadState, notesToCustom, readBin, rememberBin, rememberSnapshot, roleVersion,
} from "../storage/repository.js";
import type { BinAccess, BinEdit, BinWork } from "./bin-work.js";
import { BIN_CONCURRENCY, mapBounded } from "./bounded.js";
import { type BinChange, buildSnapshot, buildTimestamp, planBin, signFile, signMetadata, snapshotMetaOf } from "./plan.js";

export { signFile };
export type { BinChange };

export interface PublishContext {
  readonly store: MetadataStore;
  readonly signers: readonly Signer[];
  readonly config: Config;
  readonly clock: Clock;
  /** Waits (real time) so that timestamp.json is written at most once a second. */
  readonly waitForSlot?: (lastWrite: Date) => Promise<void>;
  /** Where bins are read and written (default: in this invocation). */
  readonly bins?: BinWork;
}

export type { BinEdit };

export interface CommitPlan {
  /** Bins that get a new version, with their changes (an empty list renews a bin). */
  readonly bins: ReadonlyMap<string, BinEdit>;
  /**
   * Targets roles signed elsewhere that this commit publishes at their own version: targets, and in
   * PEP 480's layout claimed, its parts and unclaimed (offline), and project roles (their maintainers).
   */
  readonly roles?: ReadonlyMap<string, { readonly version: number; readonly bytes: Uint8Array }>;
  /** Roles the writer signs other than bins (recently-claimed): the next version's content, given its version. */
  readonly online?: ReadonlyMap<string, (version: number) => Targets>;
  readonly notes?: Partial<TimestampNotes>;
  /** Sign a new snapshot even if no role changed (renewal). Any bin or targets change implies it. */
  readonly renewSnapshot?: boolean;
  /** Sign a new timestamp even if nothing else changed (renewal). */
  readonly renewTimestamp?: boolean;
  /** Bytes of mutable targets (pages) this commit replaces or removes: retention deletes them later. */
  readonly supersededContent?: readonly SupersededContent[];
  /** Why, for the commit record (retention.ts): "renewal"; "publish" by default. */
  readonly reason?: string;
}

const isEmpty = (p: CommitPlan) => p.bins.size === 0 && !p.roles?.size && !p.online?.size && !p.notes && !p.renewSnapshot && !p.renewTimestamp;

export interface Committed {
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  /** New version of each re-signed bin. */
  readonly bins: ReadonlyMap<string, number>;
  /** Files the previous timestamp reached and this one no longer does (for retention). */
  readonly superseded: readonly string[];
  /** The largest bin this commit wrote. */
  readonly largestBin?: { readonly name: string; readonly bytes: number };
}

/**
 * Writes `<v>.<role>.json` create-if-absent, starting at `version`. A file of that name may exist
 * already, from an attempt that crashed before its commit or lost a race; it is never overwritten
 * (invariant 2): the next version is taken instead. Returns the version written.
 */
async function createVersioned(store: MetadataStore, role: string, version: number, build: (v: number) => Promise<Uint8Array>) {
  for (let v = version; v < version + 1000; v++) {
    const bytes = await build(v);
    if (await store.create(`${v}.${role}.json`, bytes)) return { version: v, bytes };
  }
  throw new Error(`could not find a free version of ${role} after ${version}`);
}

/**
 * One bin's next version: `changes` spliced into version `current`, signed, written create-if-absent
 * at the first free version after it. Returns the version written and its size.
 */
export async function writeBin(ctx: Pick<PublishContext, "store" | "signers">, name: string, current: number, changes: BinEdit, expires: number) {
  const role = await readBin(ctx.store, name, current);
  let planned: Awaited<ReturnType<typeof planBin>> | undefined;
  const { version, bytes } = await createVersioned(ctx.store, name, current + 1, async (v) => {
    planned = await planBin(role, changes, v, expires, ctx.signers);
    return planned.bytes;
  });
  rememberBin(name, version, planned!.role, bytes.length);
  return [name, version, bytes.length] as const;
}

/** Bins written by this invocation, BIN_CONCURRENCY at a time. */
export const localBins = (ctx: Pick<PublishContext, "store" | "signers">): BinAccess => ({
  write: (state, bins, expires) => mapBounded([...bins], BIN_CONCURRENCY, ([name, changes]) => writeBin(ctx, name, roleVersion(state, name), changes, expires)),
});

async function writeBins(ctx: PublishContext, state: RepoState, plan: CommitPlan, now: number) {
  const written = await (ctx.bins ?? localBins(ctx)).write(state, plan.bins, now + ctx.config.binsExpiry);
  // The largest bin written, for the commit record: status warns when one grows abnormally.
  const largest = written.reduce<{ name: string; bytes: number } | undefined>((m, [name, , bytes]) => (!m || bytes > m.bytes ? { name, bytes } : m), undefined);
  return { versions: new Map(written.map(([name, version]) => [name, version])), largest };
}

/** A role signed elsewhere, at its own version: create-if-absent, or the very same bytes stored already. */
async function publishSigned(store: MetadataStore, role: string, file: { version: number; bytes: Uint8Array }) {
  const name = `${file.version}.${role}.json`;
  if (await store.create(name, file.bytes)) return;
  const existing = await store.read(name);
  if (!existing || sha256Hex(existing.bytes) !== sha256Hex(file.bytes)) {
    throw new Error(`${name} exists with other content; a role's version is immutable`);
  }
}

/** The roles of `plan.roles` and `plan.online`, written; their new versions. */
async function writeRoles(ctx: PublishContext, state: RepoState, plan: CommitPlan): Promise<[string, number][]> {
  const fixed = await mapBounded([...(plan.roles ?? [])], BIN_CONCURRENCY, async ([role, file]) => {
    await publishSigned(ctx.store, role, file);
    return [role, file.version] as [string, number];
  });
  const online = await mapBounded([...(plan.online ?? [])], BIN_CONCURRENCY, async ([role, build]) => {
    const current = state.snapshot.signed.meta.get(`${role}.json`)?.version ?? 0;
    const { version } = await createVersioned(ctx.store, role, current + 1, (v) => signFile(build(v), ctx.signers));
    return [role, version] as [string, number];
  });
  return [...fixed, ...online];
}

/**
 * One attempt: new bins, then snapshot (both create-if-absent), then timestamp.json by
 * compare-and-swap — the commit point (invariant 1). Null when another writer committed first.
 */
async function attempt(ctx: PublishContext, state: RepoState, plan: CommitPlan): Promise<Committed | null> {
  const now = ctx.clock();
  const { versions: bins, largest } = await writeBins(ctx, state, plan, now);
  const others = await writeRoles(ctx, state, plan);

  const ts = state.timestamp.signed;
  let snapshotMeta: MetaFile = ts.snapshotMeta;
  if (bins.size > 0 || others.length > 0 || plan.renewSnapshot) {
    const roles: [string, number][] = [...bins, ...others];
    const old = state.snapshot.signed;
    const expires = now + ctx.config.snapshotExpiry;
    let signed: Awaited<ReturnType<typeof signMetadata>> | undefined;
    const snapshot = await createVersioned(ctx.store, "snapshot", old.version + 1, async (v) => {
      signed = await signMetadata(buildSnapshot(old, { version: v, expires, roles }), ctx.signers);
      return signed.bytes;
    });
    rememberSnapshot(signed!.metadata as Metadata<Snapshot>, snapshot.bytes.length);
    snapshotMeta = snapshotMetaOf(snapshot.version, snapshot.bytes);
  }

  const timestamp = buildTimestamp(ts, { version: ts.version + 1, expires: now + ctx.config.timestampExpiry, snapshotMeta });
  const bytes = await signFile(timestamp, ctx.signers);
  await ctx.waitForSlot?.(state.uploaded);
  const notes = notesToCustom({ ...state.notes, ...plan.notes });
  if (!(await ctx.store.swapTimestamp(bytes, state.etag, notes))) return null;
  const superseded = [...bins.keys()].map((name) => `${roleVersion(state, name)}.${name}.json`);
  if (snapshotMeta !== ts.snapshotMeta) superseded.push(`${ts.snapshotMeta.version}.snapshot.json`);
  for (const [role] of others) {
    const previous = state.snapshot.signed.meta.get(`${role}.json`)?.version;
    if (previous !== undefined) superseded.push(`${previous}.${role}.json`);
  }
  return { timestampVersion: timestamp.version, snapshotVersion: snapshotMeta.version, bins, superseded, ...(largest && { largestBin: largest }) };
}

export interface CommitOutcome<T> {
  readonly committed: Committed | null;
  /** What the planner decided on the state that was committed (or on the last one, if nothing was). */
  readonly decision: T;
  readonly state: RepoState;
}

/**
 * The single writer's loop: plan on the current state, write, swap the timestamp; on a lost race,
 * re-read and plan again (invariant 4). An empty plan commits nothing.
 */
export async function commit<T>(
  ctx: PublishContext,
  planner: (state: RepoState) => Promise<{ plan: CommitPlan; decision: T }>,
  maxAttempts = 10,
): Promise<CommitOutcome<T>> {
  for (let i = 0; i < maxAttempts; i++) {
    const state = await loadState(ctx.store);
    if (!state) throw new Error("no repository is published yet (bootstrap first)");
    const { plan, decision } = await planner(state);
    if (isEmpty(plan)) return { committed: null, decision, state };
    const committed = await attempt(ctx, state, plan);
    if (committed) {
      const { timestampVersion, snapshotVersion, bins, superseded, largestBin } = committed;
      const committedAt = new Date(ctx.clock()).toISOString();
      const content = plan.supersededContent?.length ? { content: plan.supersededContent } : {};
      await recordCommit(ctx.store, { timestampVersion, snapshotVersion, committedAt, reason: plan.reason ?? "publish", bins: bins.size, files: superseded, ...content, ...(largestBin && { largestBin }) });
      return { committed, decision, state };
    }
  }
  throw new Error(`lost the timestamp race ${maxAttempts} times in a row`);
}

