import type { TargetFile } from "../../shared/metadata/files.js";
import type { Removal } from "../../shared/mutable.js";
import type { UploadTarget } from "../../shared/upload.js";
import type { RepoState } from "../storage/repository.js";
import type { BinChange } from "./plan.js";

/**
 * The writer's fan-out protocol: the work a commit does per bin or per target, in the consumer's
 * invocation (the default) or in the shard objects (bin-shards.ts). Types only.
 */

/** The changes to one bin, applied in order; an empty list renews the bin (new version, same targets). */
export type BinEdit = readonly BinChange[];

/** What a decision needs of the touched bins: each path's entry and removal record, and each bin's size. */
export interface BinViews {
  views(state: RepoState, byBin: ReadonlyMap<string, readonly string[]>): Promise<ViewsOfBins>;
}

export interface ViewsOfBins {
  readonly view: Map<string, { readonly bin: string; readonly current: TargetFile | null; readonly removed: Removal | null }>;
  readonly binBytes: Map<string, number>;
  readonly unpublishedRemovals: Map<string, number>;
}

/**
 * Where bins are read for a decision and written for a commit: in this invocation (the default),
 * or fanned out to shard Durable Objects that keep them in memory (bin-shards.ts).
 */
export interface BinAccess {
  /** Writes each bin's next version; [name, version, bytes] per bin. */
  write(state: RepoState, bins: ReadonlyMap<string, BinEdit>, expires: number): Promise<(readonly [string, number, number])[]>;
  /** Bootstrap: version 1 of each named bin, empty, create-if-absent (nothing refers to them yet). */
  createFirst?(names: readonly string[], expires: number): Promise<void>;
  /** Each webhook claim checked against the packages bucket and the content store: a reason, or null (uploads.ts, claimRefusal). */
  claims?(targets: readonly UploadTarget[], pagesMode: "render" | "index"): Promise<(string | null)[]>;
  /** Each release's dist checked and its METADATA stored (dists.ts, checkDist). */
  checkDists?(checks: readonly DistCheck[]): Promise<DistFinding[]>;
  /** Rendered pages stored at their paths' own places (ContentStore.putAt), in order. */
  storeContent?(items: readonly ContentAt[]): Promise<StoredContent[]>;
}

/** Bytes to store for a path (a rendered page), and what was stored. */
export interface ContentAt {
  readonly path: string;
  readonly bytes: Uint8Array;
}
export interface StoredContent {
  readonly sha256: string;
  readonly length: number;
}

/** One release target to check: a dist or its `.metadata`, with what its upload sends beside it (dists.ts). */
export interface DistCheck {
  readonly target: UploadTarget;
  /** The `.metadata` the upload sends beside a dist (its sha256), if any. */
  readonly sentMetadata?: string;
  /** Whether to publish a `.provenance` stored beside the dist (not when the upload sends one). */
  readonly lookForProvenance: boolean;
}

/** What a check finds: the reason to refuse the target, or the targets to add to its upload. */
export type DistFinding = { readonly refusal: string } | { readonly added: UploadTarget[] };

/** Everything a commit may fan out. */
export type BinWork = BinAccess & BinViews;
