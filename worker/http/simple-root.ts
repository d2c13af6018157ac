import type { Context } from "hono";
import { sha256Hex, utf8 } from "../../shared/encoding.js";
import { ROOT_HTML, ROOT_JSON, type RootRendering } from "../../shared/simple/index.js";
import { type AppEnv, readConfig } from "../env.js";
import { MetadataStore } from "../storage/metadata-store.js";
import { type ProjectShard, listProjectShards, projectsFromBins, readProjectShard } from "../storage/projects.js";
import { errorResponse } from "./errors.js";
import { acceptsGzip, clientAcceptEncoding, ifNoneMatchHits } from "./negotiate.js";
import { OFFERED_TYPES, chooseRepresentation } from "./simple-accept.js";

/** Shards read ahead of the one being streamed: the platform runs six subrequests at a time. */
const READ_AHEAD = 6;

/** Every name, one shard at a time, a few shards read ahead. */
async function* shardNames(store: MetadataStore, shards: readonly ProjectShard[]): AsyncGenerator<string[]> {
  const reads: Promise<string[]>[] = [];
  for (let i = 0; i < shards.length; i++) {
    while (reads.length < READ_AHEAD && i + reads.length < shards.length) reads.push(readProjectShard(store, shards[i + reads.length]!));
    yield await reads.shift()!;
  }
}

function stream(rendering: RootRendering, names: AsyncIterable<string[]>): ReadableStream<Uint8Array> {
  const iterator = names[Symbol.asyncIterator]();
  let first = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(utf8(rendering.head));
    },
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) {
        controller.enqueue(utf8(rendering.tail));
        controller.close();
        return;
      }
      let text = "";
      for (const project of next.value) {
        text += rendering.entry(project, first);
        first = false;
      }
      if (text) controller.enqueue(utf8(text));
    },
    async cancel() {
      await iterator.return?.(undefined);
    },
  });
}

/**
 * GET and HEAD /simple/ (PEP 503's root, PEP 691's `projects`): every project with a published page,
 * HTML or JSON by the same negotiation as a project page, with an ETag per representation and
 * encoding, cached as long as a timestamp. Not a signed target (README, "The simple API"): it only
 * names pages, each of which is signed, and pip never reads it. Its ETag is made of what it is
 * built from (the stored list's shards and their etags), so a 304 costs a listing and no reads.
 */
export async function simpleRoot(c: Context<AppEnv>): Promise<Response> {
  const representation = chooseRepresentation(c.req.header("accept") ?? null, c.req.query("format") ?? null);
  c.header("Vary", "Accept");
  if (!representation) return errorResponse(c, 406, "no acceptable representation", { available: OFFERED_TYPES });
  const store = new MetadataStore(c.env.METADATA);
  const shards = await listProjectShards(store);
  let version: string;
  let names: () => AsyncIterable<string[]>;
  if (shards) {
    version = sha256Hex(shards.map((s) => `${s.key} ${s.etag}`).join("\n")).slice(0, 32);
    names = () => shardNames(store, shards);
  } else {
    const scanned = await projectsFromBins(store);
    if (!scanned) return errorResponse(c, 503, "the project list is not recorded, and the repository has too many bins to list them from (or none)");
    version = sha256Hex(scanned.names.join("\n")).slice(0, 32);
    names = async function* () {
      yield scanned.names;
    };
  }
  const gzip = acceptsGzip(clientAcceptEncoding(c.req.raw));
  const etag = `"projects-${version}.${representation.tag}${gzip ? ".gz" : ""}"`;
  const headers = new Headers({
    "Content-Type": representation.contentType,
    "Cache-Control": `public, max-age=${readConfig(c.env).timestampMaxAgeSeconds}`,
    Vary: "Accept, Accept-Encoding",
    ETag: etag,
    "X-Content-Type-Options": "nosniff",
  });
  if (ifNoneMatchHits(c.req.header("If-None-Match") ?? null, etag)) return new Response(null, { status: 304, headers });
  // workerd compresses the stream itself when Content-Encoding is set (encodeBody "automatic").
  if (gzip) headers.set("Content-Encoding", "gzip");
  if (c.req.method === "HEAD") return new Response(null, { headers });
  const rendering = representation.format === "json" ? ROOT_JSON : ROOT_HTML;
  return new Response(stream(rendering, names()), { headers });
}
