import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type PartitionEntry, ListingError, parseEntry, partitionFile } from "./listing.js";

/** One POST /v1/admin/import: whole bins, written to `file` as the exact body to send. */
export interface PlannedRequest {
  readonly file: string;
  readonly targets: number;
  readonly bins: number;
  readonly bytes: number;
}

export interface PlanLimits {
  /** Bins per request (the server takes at most MAX_BINS_PER_COMMIT, 2,500). */
  readonly chunkBins: number;
  /** Body bytes per request (the server takes at most 16 MiB). */
  readonly maxRequestBytes: number;
}

export const DEFAULT_LIMITS: PlanLimits = { chunkBins: 2000, maxRequestBytes: 8 * 1024 * 1024 };

export interface Plan {
  readonly requests: readonly PlannedRequest[];
  /** Distinct targets in the requests. */
  readonly targets: number;
  /** Lines that repeat an earlier line exactly (same path, length, hashes, custom): sent once. */
  readonly duplicates: number;
  /** Bins larger than one request on their own, hence split (signed once per request holding them). */
  readonly splitBins: number;
  /** The most listing lines held in memory at once: one partition's. */
  readonly maxLinesHeld: number;
}

const requestFile = (dir: string, n: number) => join(dir, `request-${String(n).padStart(5, "0")}.json`);

/**
 * Pass 2: loads one partition at a time, groups its lines by bin, drops exact duplicates, refuses a
 * path listed twice with different contents (the webhook's rule, with both line numbers), and packs
 * whole bins in bin order into request bodies written to `dir`. A request may span partitions; a
 * bin never spans requests unless it alone exceeds `maxRequestBytes`.
 */
export async function planRequests(
  dir: string,
  partitions: number,
  limits: PlanLimits = DEFAULT_LIMITS,
  onProgress?: (partitionsDone: number) => void,
): Promise<Plan> {
  const requests: PlannedRequest[] = [];
  let open: string[] = [];
  let openBins = 0;
  let openBytes = 0;
  let targets = 0;
  let duplicates = 0;
  let splitBins = 0;
  let maxLinesHeld = 0;

  const close = async () => {
    if (open.length === 0) return;
    const body = `{"targets":[${open.join(",")}]}`;
    const file = requestFile(dir, requests.length + 1);
    await writeFile(file, body);
    requests.push({ file: file.slice(dir.length + 1), targets: open.length, bins: openBins, bytes: Buffer.byteLength(body) });
    targets += open.length;
    open = [];
    openBins = 0;
    openBytes = 0;
  };

  for (let p = 0; p < partitions; p++) {
    const text = await readFile(partitionFile(dir, p), "utf8");
    const byBin = new Map<number, PartitionEntry[]>();
    let held = 0;
    for (let start = 0, nl = text.indexOf("\n"); nl !== -1; start = nl + 1, nl = text.indexOf("\n", start)) {
      const entry = parseEntry(text.slice(start, nl));
      (byBin.get(entry.bin) ?? byBin.set(entry.bin, []).get(entry.bin)!).push(entry);
      held++;
    }
    maxLinesHeld = Math.max(maxLinesHeld, held);
    for (const bin of [...byBin.keys()].sort((a, b) => a - b)) {
      const entries = uniqueTargets(byBin.get(bin)!);
      duplicates += byBin.get(bin)!.length - entries.length;
      const sizes = entries.map((e) => Buffer.byteLength(e.json) + 1);
      const binBytes = sizes.reduce((a, b) => a + b, 0);
      if (openBins > 0 && (openBins + 1 > limits.chunkBins || openBytes + binBytes > limits.maxRequestBytes)) await close();
      if (binBytes > limits.maxRequestBytes) splitBins++;
      openBins++;
      for (let i = 0; i < entries.length; i++) {
        if (open.length > 0 && openBytes + sizes[i]! > limits.maxRequestBytes) {
          await close();
          openBins = 1; // the rest of this (oversized) bin
        }
        open.push(entries[i]!.json);
        openBytes += sizes[i]!;
      }
    }
    onProgress?.(p + 1);
  }
  await close();
  return { requests, targets, duplicates, splitBins, maxLinesHeld };
}

const pathOf = (json: string): string => (JSON.parse(json) as { path: string }).path;

/** One entry per path; a path listed again with other contents is ambiguous, as in a webhook body. */
function uniqueTargets(entries: PartitionEntry[]): PartitionEntry[] {
  const byPath = new Map<string, PartitionEntry>();
  for (const e of entries) {
    const path = pathOf(e.json);
    const seen = byPath.get(path);
    if (!seen) byPath.set(path, e);
    else if (seen.json !== e.json) {
      throw new ListingError(e.line, "path", `is also on line ${seen.line} with different length, hashes or custom`);
    }
  }
  return [...byPath.values()];
}
