import { companionPaths, projectOf } from "./simple/release.js";
import type { UploadRequest } from "./upload.js";
import { pathsOf } from "./upload.js";

/**
 * The storage operations one commit may make (invariant 9): a Worker invocation has 10,000
 * subrequests; this leaves room for the state, snapshot, timestamp, records and retries. The
 * webhook refuses a request that costs more at the door; the consumer fills a commit up to it.
 */
export const MAX_STORAGE_OPS_PER_COMMIT = 7_500;

/**
 * What one upload costs a commit at most (second review, finding 11): a read and a write for every
 * path it touches (its own, and in render mode each dist's .metadata and its project's two pages,
 * each possibly in a bin of its own); a bucket check per target; in render mode, per project, a
 * read of the signed page, a head and a put for each of its two renderings and the read and write of its entry in the project list, and per
 * distribution its check (a head, range reads of the zip's end, its central directory and one
 * member), the store of its extracted .metadata and a look for its .provenance; per serial target, a head and the copy of its
 * bytes (a read and a write).
 */
export function uploadCost(request: Pick<UploadRequest, "targets" | "remove">, render: boolean): number {
  const own = pathsOf(request);
  const touched = new Set(own);
  if (render) for (const p of companionPaths(own)) touched.add(p);
  const projects = render ? new Set(own.flatMap((p) => projectOf(p) ?? [])).size : 0;
  const serials = request.targets.filter((t) => t.serial !== undefined).length;
  const dists = render ? request.targets.filter((t) => projectOf(t.path) !== null).length : 0;
  return 2 * touched.size + request.targets.length + 7 * projects + 7 * dists + 3 * serials;
}
