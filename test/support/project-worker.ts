// PEP 480 through the Worker's API, for the workerd tests: the move to the layout at a targets
// ceremony, claims, and maintainers' pushes (test/worker/project-roles.test.ts, project-crash.test.ts).
import { expect } from "vitest";
import { utf8 } from "../../shared/encoding.js";
import type { Signer } from "../../shared/keys.js";
import { TargetFile } from "../../shared/metadata/files.js";
import { Metadata } from "../../shared/metadata/metadata.js";
import { type Delegations, Targets } from "../../shared/metadata/targets.js";
import { CLAIMED, UNCLAIMED, migrateToProjectLayout, pushAuthorization } from "../../shared/projects/index.js";
import { DAY, admin, status, waitFor, waitForUpload } from "./repo.js";
import { metadataJson, sha256Hex } from "./uploads.js";
import type { TestWorker } from "./worker.js";

export const DIR = "packages/ab/cd/ef01";
export const PATH = {
  plain: `${DIR}/plain-3.0-py3-none-any.whl`,
  demoOld: `${DIR}/demo-0.9.tar.gz`,
  demoSdist: `${DIR}/demo-1.0.tar.gz`,
  demoRogue: `${DIR}/demo-6.6.6-py3-none-any.whl`,
  friendWin: `${DIR}/demo-1.0-cp312-cp312-win_amd64.whl`,
  friendLinux: `${DIR}/demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl`,
};
export const bytesOf = (path: string) => utf8(`bytes of ${path}`);
export const fileOf = (path: string) => new TargetFile(bytesOf(path).length, { sha256: sha256Hex(bytesOf(path)) });
export const webhookTarget = (path: string) => ({ path, length: bytesOf(path).length, hashes: { sha256: sha256Hex(bytesOf(path)) } });

export async function currentSnapshot(w: TestWorker) {
  const ts = await metadataJson(w, "timestamp.json");
  return metadataJson(w, `${ts.signed.meta["snapshot.json"].version}.snapshot.json`);
}

export async function finishedJob(w: TestWorker, res: Response) {
  expect(res.status, await res.clone().text()).toBe(202);
  const { job } = (await res.json()) as { job: string };
  const s = await waitFor(`job ${job}`, async () => {
    const st = await status(w);
    return st.job?.id === job && st.job.finished ? st : null;
  }, 120_000);
  expect(s.job.error).toBeUndefined();
}

/** A project role (or one under it) with these files, signed by `signers`. */
export async function role(version: number, paths: string[], signers: Signer[], opts: { expires?: number; delegations?: Delegations } = {}) {
  const targets = new Targets({ version, expires: opts.expires ?? Date.now() + 300 * DAY, targets: new Map(paths.map((p) => [p, fileOf(p)])), delegations: opts.delegations });
  return new Metadata(targets).sign(signers);
}

export async function push(w: TestWorker, project: string, name: string, metadata: Metadata<Targets>, by: Signer) {
  const body = JSON.stringify({ role: name, metadata: metadata.toJSON() });
  const authorization = await pushAuthorization(by, project, utf8(body), Date.now());
  return fetch(`${w.url}/v1/projects/${project}/role`, { method: "POST", headers: { "content-type": "application/json", authorization }, body });
}

export async function published(w: TestWorker, res: Response) {
  expect(res.status, await res.clone().text()).toBe(202);
  const { id } = (await res.json()) as { id: string };
  return waitForUpload(w, id);
}


/** The move at a targets ceremony: targets v+1 in PEP 480's layout, claimed and unclaimed v1 signed by `offline`. */
export async function moveToLayout(w: TestWorker, current: Metadata<Targets>, targetsKeys: Signer[], offline: Signer, online: Signer) {
  const move = migrateToProjectLayout(current.signed, { offline: [offline.key], offlineThreshold: 1, online: [online.key] }, { offline: Date.now() + 365 * DAY, online: Date.now() + DAY });
  const targets = await new Metadata(move.targets).sign(targetsKeys);
  const claimed = await new Metadata(move.roles.get(CLAIMED)!).sign([offline]);
  const unclaimed = await new Metadata(move.roles.get(UNCLAIMED)!).sign([offline]);
  await finishedJob(w, await admin(w, "/v1/admin/targets", { targets: targets.toJSON(), roles: { claimed: claimed.toJSON(), unclaimed: unclaimed.toJSON() } }));
  return { move, targets, claimed, unclaimed };
}

export const keysOf = (...signers: Signer[]) => Object.fromEntries(signers.map((s) => [s.key.keyid, s.key.toJSON()]));
