import { MAX_BIN_BYTES } from "../../shared/bins.js";
import { canonicalJson } from "../../shared/canonical.js";
import { utf8 } from "../../shared/encoding.js";
import type { TargetFile } from "../../shared/metadata/files.js";
import { type Decision, MAX_UNPUBLISHED_REMOVAL_BYTES, type PathOutcome, type Removal, decideAdd, decideRemove, entryFor } from "../../shared/mutable.js";
import type { RemoveEntry, UploadTarget } from "../../shared/upload.js";

/**
 * The pure part of a publish: every upload of a batch decided in order against what the touched
 * paths hold, and the changes that follow. No I/O: the caller loads the paths and writes the bins.
 */

export interface Upload {
  readonly id: string;
  readonly targets: readonly UploadTarget[];
  readonly remove: readonly RemoveEntry[];
  /** False for bulk imports: a rejected target is rejected alone. Default true: all or nothing. */
  readonly atomic?: boolean;
}

/** Where an upload's hashes come from: claimed by the webhook, computed from the packages bucket, or an admin import. */
export type UploadSource = "webhook" | "bucket" | "import";

export interface SourcedUpload extends Upload {
  readonly source: UploadSource;
}

/** What a touched path holds in the published state. */
export interface PathView {
  readonly bin: string;
  readonly current: TargetFile | null;
  readonly removed: Removal | null;
}

/** A path's new content: a file, or removed with what its bin records of it. */
export interface Change {
  readonly file: TargetFile | null;
  readonly removal?: Removal;
}

export interface TargetResult {
  readonly path: string;
  readonly outcome: PathOutcome;
  readonly reason?: string;
}

export interface UploadDecision {
  readonly state: "published" | "rejected";
  /** One result per target and removal, in request order. */
  readonly targets: readonly TargetResult[];
  /** The targets rejected for a reason of their own (not for sharing an upload with one). */
  readonly rejected: readonly { readonly path: string; readonly reason: string }[];
}

/** A bin's size bound (security review, finding 4): the upload that would cross it is refused. */
export { MAX_BIN_BYTES };

const byteLength = (s: string) => utf8(s).length;
/** Bytes an entry adds to its bin's canonical JSON: `"path":{...},`. */
export const entryBytes = (path: string, file: TargetFile) => byteLength(JSON.stringify(path)) + byteLength(canonicalJson(file.toJSON())) + 2;
export const removalBytes = (path: string, r: Removal) =>
  byteLength(JSON.stringify(path)) + byteLength(canonicalJson({ ...(r.serial !== undefined && { serial: r.serial }), ...(r.unpublished && { unpublished: true }) })) + 2;

/**
 * What follows from an upload's published changes beyond their own paths (the project pages in
 * render mode): refusals by path, the bytes it adds to each bin, and `keep` to make it part of the
 * batch once the upload is accepted. Pure, like the decision.
 */
export interface Consequences {
  check(upload: Upload, changes: ReadonlyMap<string, Change>, at: (path: string) => PathView): {
    readonly refused: ReadonlyMap<string, string>;
    readonly growth: ReadonlyMap<string, number>;
    keep(): void;
  };
}

export interface DecideInput {
  readonly uploads: readonly Upload[];
  readonly view: ReadonlyMap<string, PathView>;
  /** Stored size of each touched bin. */
  readonly binBytes: ReadonlyMap<string, number>;
  /** Bytes of removal records of never-published paths each touched bin holds. */
  readonly unpublishedRemovals?: ReadonlyMap<string, number>;
  /** Targets refused before any decision (claims that the stored bytes contradict, rules of the mode). */
  readonly refused: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly consequences?: Consequences;
}

export function decideUploads({ uploads, view, binBytes, unpublishedRemovals, refused, consequences }: DecideInput) {
  const changes = new Map<string, Change>();
  const sizes = new Map(binBytes);
  const at = (path: string) => {
    const base = view.get(path)!;
    const change = changes.get(path);
    if (!change) return base;
    return { bin: base.bin, current: change.file, removed: change.file ? null : (change.removal ?? null) };
  };
  const decisions = new Map<string, UploadDecision>();
  const early = new Map(unpublishedRemovals);

  for (const u of uploads) {
    const decided: { path: string; decision: Decision }[] = [];
    /** A target refused before any decision keeps that reason; the others are decided on what the path holds. */
    const decide = (path: string, rule: (held: PathView) => Decision) => {
      const reason = refused.get(u.id)?.get(path);
      decided.push({ path, decision: reason ? { outcome: "rejected", reason } : rule(at(path)) });
    };
    for (const t of u.targets) {
      const file = entryFor(t.length, t.hashes, t.custom, t.serial);
      decide(t.path, ({ current, removed }) => decideAdd(current, removed, file, t.serial));
    }
    const earlyHere = new Map<string, number>();
    for (const r of u.remove) {
      decide(r.path, ({ bin, current, removed }) => {
        const d = decideRemove(current, removed, r.serial);
        if (d.outcome !== "published" || !d.removal?.unpublished || removed) return d;
        // A removal before any publish is remembered (it must win over a late add), within a bound per bin.
        const bytes = (early.get(bin) ?? 0) + (earlyHere.get(bin) ?? 0) + removalBytes(r.path, d.removal);
        if (bytes > MAX_UNPUBLISHED_REMOVAL_BYTES) {
          return { outcome: "rejected", reason: `was never published, and ${bin} already keeps ${MAX_UNPUBLISHED_REMOVAL_BYTES} bytes of removals of such paths` };
        }
        earlyHere.set(bin, bytes - (early.get(bin) ?? 0));
        return d;
      });
    }

    // What follows from the accepted changes (the project pages): refusals of its own, and bin growth.
    const tentative = new Map<string, Change>();
    for (const d of decided) if (d.decision.outcome === "published") tentative.set(d.path, { file: d.decision.file, ...(d.decision.removal && { removal: d.decision.removal }) });
    const follows = consequences?.check(u, tentative, at);
    for (const d of decided) {
      const reason = follows?.refused.get(d.path);
      if (reason && d.decision.outcome !== "rejected") d.decision = { outcome: "rejected", reason };
    }

    // A target that cannot be signed, or would push its bin past the bound, is refused here too.
    const growth = new Map<string, number>(follows?.growth);
    const deltas = new Map<(typeof decided)[number], number>();
    for (const d of decided) {
      if (d.decision.outcome !== "published") continue;
      const { bin, current, removed } = at(d.path);
      const next = d.decision;
      try {
        let delta = next.file ? entryBytes(d.path, next.file) : removalBytes(d.path, next.removal ?? {});
        if (current) delta -= entryBytes(d.path, current);
        if (removed) delta -= removalBytes(d.path, removed);
        deltas.set(d, delta);
        growth.set(bin, (growth.get(bin) ?? 0) + delta);
      } catch (e) {
        d.decision = { outcome: "rejected", reason: `cannot be signed: ${(e as Error).message}` };
      }
    }
    for (const d of decided) {
      if (d.decision.outcome !== "published") continue;
      const bin = at(d.path).bin;
      const size = (sizes.get(bin) ?? 0) + growth.get(bin)!;
      if (size > MAX_BIN_BYTES) {
        d.decision = { outcome: "rejected", reason: `would grow ${bin} to ${size} bytes, past the bound of ${MAX_BIN_BYTES} that keeps it installable` };
      }
    }
    // The pages' entries count too: a bin only a page entry grows refuses the upload's own changes.
    for (const [bin, n] of follows?.growth ?? []) {
      const size = (sizes.get(bin) ?? 0) + growth.get(bin)!;
      if (size <= MAX_BIN_BYTES || n <= 0) continue;
      for (const d of decided) {
        if (d.decision.outcome === "published") d.decision = { outcome: "rejected", reason: `its project's page would grow ${bin} to ${size} bytes, past the bound of ${MAX_BIN_BYTES}` };
      }
    }

    const rejected = decided.filter((d) => d.decision.outcome === "rejected");
    const whole = rejected.length > 0 && u.atomic !== false;
    const results: TargetResult[] = decided.map(({ path, decision }) => {
      if (decision.outcome === "rejected") return { path, outcome: "rejected", reason: decision.reason };
      if (whole) return { path, outcome: "rejected", reason: `not published: the upload is all or nothing, and ${rejected[0]!.path} was rejected` };
      return { path, outcome: decision.outcome };
    });
    const own = rejected.map(({ path, decision }) => ({ path, reason: (decision as { reason: string }).reason }));
    decisions.set(u.id, { state: whole ? "rejected" : "published", targets: results, rejected: own });
    if (whole) continue;
    follows?.keep();
    for (const [bin, n] of earlyHere) early.set(bin, (early.get(bin) ?? 0) + n);
    for (const [bin, n] of follows?.growth ?? []) sizes.set(bin, (sizes.get(bin) ?? 0) + n);
    for (const d of decided) {
      if (d.decision.outcome !== "published") continue;
      const bin = at(d.path).bin;
      sizes.set(bin, (sizes.get(bin) ?? 0) + deltas.get(d)!);
      changes.set(d.path, { file: d.decision.file, ...(d.decision.removal && { removal: d.decision.removal }) });
    }
  }
  return { changes, decisions };
}
