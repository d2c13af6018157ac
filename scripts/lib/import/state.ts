import { readFile, rename, writeFile } from "node:fs/promises";
import { CliError } from "../errors.js";
import type { ListingIdentity } from "./listing.js";
import type { PlanLimits, PlannedRequest } from "./plan.js";

export interface TargetRejection {
  readonly path: string;
  readonly reason: string;
}

/** A planned request and what became of it. `id` is set once POSTed, `done` once published. */
export interface RequestState extends PlannedRequest {
  id?: string;
  done?: boolean;
  snapshotVersion?: number;
  /** Targets the server refused (conflicts); the first few with their reasons in `reasons`. */
  rejected?: number;
  reasons?: TargetRejection[];
  /** Why the server gave up on it (dead-lettered): the next run sends it again. */
  failed?: string;
}

/**
 * The state file: enough to resume an interrupted import. Pass 1 and pass 2 are redone from the
 * start if interrupted (`phase` tells); once planned, the request files in `workDir` are fixed and
 * only the requests not `done` are sent again.
 */
export interface ImportState {
  readonly format: "tuf-edge-import/1";
  readonly listing: ListingIdentity & { readonly path: string };
  readonly url: string;
  readonly bitLength: number;
  readonly partitions: number;
  readonly limits: PlanLimits;
  readonly workDir: string;
  phase: "partitioning" | "planning" | "sending" | "done";
  lines?: number;
  targets?: number;
  duplicates?: number;
  splitBins?: number;
  requests: RequestState[];
}

export async function readState(file: string): Promise<ImportState | null> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
  let state: ImportState;
  try {
    state = JSON.parse(text) as ImportState;
  } catch {
    throw new CliError(`${file} is not a state file of tuf-edge import (not JSON); delete it to start over`);
  }
  if (state?.format !== "tuf-edge-import/1") throw new CliError(`${file} is not a state file of tuf-edge import; delete it to start over`);
  return state;
}

/**
 * Writes the state file atomically (temporary file, then rename), one write at a time: an
 * interruption leaves the previous or the new state, never half of one.
 */
export class StateWriter {
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  /** Resolves when the writes queued so far are done (whether they succeeded or not). */
  settled(): Promise<void> {
    return this.queue.catch(() => {});
  }

  save(state: ImportState): Promise<void> {
    const text = JSON.stringify(state, null, 1);
    this.queue = this.queue.then(async () => {
      await writeFile(`${this.file}.tmp`, text);
      await rename(`${this.file}.tmp`, this.file);
    });
    return this.queue;
  }
}
