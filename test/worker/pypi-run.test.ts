// A PyPI-shaped run in index mode (issue 11, §4): projects with several releases each, PEP 658
// metadata, yanks, removals and a project deletion, each event a webhook request that carries the
// files and the project's re-rendered pages at the index's serial. Every request is delivered
// twice, shuffled, in batches of random size. The repository must end exactly where the index
// ended, and no page may go back to an older serial at any commit.
import { afterAll, beforeAll, expect, test } from "vitest";
import { type PageFile, type ProjectPage, fileUrl, pageTargetPaths, renderPages, withFiles } from "../../shared/simple/index.js";
import { bootstrapByHand, deliver } from "../support/consumer.js";
import { putContent } from "../support/pip.js";
import { upload } from "../support/repo.js";
import { TufClient } from "../support/tuf-client.js";
import { shuffled, verifiedState } from "../support/published.js";
import { sha256Hex } from "../support/uploads.js";
import { buildWheel } from "../support/wheel.js";
import { type TestWorker, startWorker } from "../support/worker.js";

const BITS = 4;
const PROJECTS = ["alpha", "beta", "gamma", "delta", "epsilon"];
const RELEASES = ["0.1", "0.2", "1.0", "1.1"];

let w: TestWorker;
let rootBytes: Uint8Array;
beforeAll(async () => {
  w = await startWorker({ queueConsumer: false, vars: { SIMPLE_PAGES: "index" } });
  rootBytes = (await bootstrapByHand(w, BITS)).rootBytes;
});
afterAll(() => w.close());

type Target = { path: string; length: number; hashes: { sha256: string }; serial?: number };
type Request = { targets: Target[]; remove: (string | { path: string; serial: number })[] };

/** The index: its own state, a global serial, and one webhook request per event. */
function index() {
  let serial = 0;
  const pages = new Map<string, ProjectPage | null>();
  const requests: { serial: number; project: string; body: Request; content: Uint8Array[] }[] = [];
  const fileOf = (path: string, bytes: Uint8Array): Target => ({ path, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } });
  const pageTargets = (project: string, page: ProjectPage | null, s: number) => {
    const paths = pageTargetPaths(project);
    if (!page) return { targets: [], remove: [{ path: paths.html, serial: s }, { path: paths.json, serial: s }], content: [] };
    const r = renderPages(page);
    return { targets: [{ ...fileOf(paths.html, r.html), serial: s }, { ...fileOf(paths.json, r.json), serial: s }], remove: [], content: [r.html, r.json] };
  };
  const event = (project: string, edit: (page: ProjectPage | null) => { page: ProjectPage | null; targets?: Target[]; remove?: string[] }) => {
    const s = ++serial;
    const { page, targets = [], remove = [] } = edit(pages.get(project) ?? null);
    pages.set(project, page);
    const p = pageTargets(project, page, s);
    requests.push({ serial: s, project, body: { targets: [...targets, ...p.targets], remove: [...remove, ...p.remove] }, content: p.content });
  };
  return {
    pages,
    requests,
    release(project: string, version: string) {
      const wheel = buildWheel(project, version);
      const path = `packages/${project}/${wheel.filename}`;
      const entry: PageFile = {
        filename: wheel.filename, url: fileUrl(path), hashes: { sha256: sha256Hex(wheel.bytes) }, size: wheel.bytes.length,
        uploadTime: `2026-11-${String(10 + (serial % 18)).padStart(2, "0")}T12:00:00Z`, coreMetadata: { sha256: sha256Hex(wheel.metadata) },
      };
      event(project, (page) => ({ page: withFiles(page, project, [entry], []), targets: [fileOf(path, wheel.bytes), fileOf(`${path}.metadata`, wheel.metadata)] }));
    },
    yank(project: string, version: string) {
      event(project, (page) => {
        const file = page!.files.find((f) => f.filename.includes(`-${version}-`))!;
        return { page: withFiles(page, project, [{ ...file, yanked: "broken build" }], []) };
      });
    },
    remove(project: string, version: string) {
      event(project, (page) => {
        const file = page!.files.find((f) => f.filename.includes(`-${version}-`))!;
        const path = `packages/${project}/${file.filename}`;
        return { page: withFiles(page, project, [], [file.filename]), remove: [path, `${path}.metadata`] };
      });
    },
    deleteProject(project: string) {
      event(project, (page) => ({
        page: null,
        remove: page!.files.flatMap((f) => [`packages/${project}/${f.filename}`, `packages/${project}/${f.filename}.metadata`]),
      }));
    },
  };
}

const verified = () => verifiedState(w, rootBytes, BITS);

test("shuffled, duplicated delivery of a PyPI-shaped history ends exactly where the index ended", async () => {
  const ix = index();
  PROJECTS.forEach((p, i) => RELEASES.slice(0, 2 + (i % 3)).forEach((v) => ix.release(p, v)));
  ix.yank("alpha", "0.2");
  ix.remove("beta", "0.1");
  ix.release("beta", "2.0");
  ix.yank("gamma", "0.1");
  ix.deleteProject("delta");
  ix.remove("epsilon", "0.2");

  // The index stores page bytes first, then sends each request once; the queue delivers each twice.
  const ids: string[] = [];
  for (const r of ix.requests) {
    for (const bytes of r.content) expect((await putContent(w, bytes)).status).toBeLessThan(300);
    const res = await upload(w, r.body);
    expect(res.status, await res.clone().text()).toBe(202);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const deliveries = shuffled([...ids, ...ids], 20261129);
  const highest = new Map<string, number>();
  for (let i = 0, size = 1; i < deliveries.length; i += size, size = 1 + (i % 5)) {
    await deliver(w, deliveries.slice(i, i + size).map((id) => ({ kind: "upload" as const, id })));
    const v = await verified();
    for (const project of PROJECTS) {
      const s = v.serial(pageTargetPaths(project).json);
      expect(s, `${project} went back from serial ${highest.get(project)} to ${s}`).toBeGreaterThanOrEqual(highest.get(project) ?? 0);
      highest.set(project, s);
    }
  }

  // No upload lost: every one was decided, and none queued.
  for (const id of ids) expect(["published", "rejected"]).toContain(((await (await fetch(`${w.url}/v1/uploads/${id}`)).json()) as any).state);
  const v = await verified();
  const client = new TufClient(w.url, rootBytes);
  try {
    for (const project of PROJECTS) {
      const final = ix.pages.get(project)!;
      const paths = pageTargetPaths(project);
      if (!final) {
        expect(v.target(paths.json)).toBeUndefined();
        expect((await fetch(`${w.url}/simple/${project}/`)).status).toBe(404);
        continue;
      }
      // Every page is the one rendered from the final state, verified through TUF and served at /simple/.
      const rendered = renderPages(final);
      for (const [format, accept] of [["html", "text/html"], ["json", "application/vnd.pypi.simple.v1+json"]] as const) {
        expect(new Uint8Array(await client.download(paths[format]))).toEqual(rendered[format]);
        const served = await fetch(`${w.url}/simple/${project}/`, { headers: { accept } });
        expect(new Uint8Array(await served.arrayBuffer())).toEqual(rendered[format]);
      }
      // And the files it lists are exactly the published ones.
      for (const f of final.files) expect(v.target(`packages/${project}/${f.filename}`)?.hashes.sha256).toBe(f.hashes.sha256);
    }
    for (const f of ["beta/beta-0.1-py3-none-any.whl", "epsilon/epsilon-0.2-py3-none-any.whl", "delta/delta-0.1-py3-none-any.whl"]) {
      expect(v.target(`packages/${f}`)).toBeUndefined();
      expect(v.target(`packages/${f}.metadata`)).toBeUndefined();
    }
  } finally {
    client.close();
  }
}, 300_000);
