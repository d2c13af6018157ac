import { fork } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetaFile, Metadata, Snapshot, Targets, Timestamp, allBinNames, ed25519Signer, randomSeed, sha256Hex } from "../../shared/index.js";
import { devCeremony } from "../lib/dev-repo.js";
import { useNativeEd25519 } from "../lib/native-ed25519.js";
import { verifyRepository } from "../lib/verify.js";

export interface VerifyBenchResult {
  readonly bins: number;
  /** `tuf-edge verify` (the spec §5 client, every bin), each run: wall time, and the client's CPU time. */
  readonly seconds: readonly number[];
  readonly cpuSeconds: readonly number[];
  readonly bytes: number;
}

const DAY = 86_400_000;

/** A consistent-snapshot repository of 2^bits empty bins, signed here with shared/: the files a Worker serves. */
async function writeRepository(dir: string, bits: number): Promise<Uint8Array> {
  const online = await ed25519Signer(randomSeed());
  const c = await devCeremony(online.key, bits);
  const put = (name: string, bytes: Uint8Array) => writeFile(join(dir, name), bytes);
  await put("1.root.json", c.root.toBytes());
  await put("1.targets.json", c.targets.toBytes());
  const expires = Math.floor((Date.now() + DAY) / 1000) * 1000;
  const meta = new Map([["targets.json", new MetaFile(1)]]);
  for (const name of allBinNames(bits)) {
    await put(`1.${name}.json`, (await new Metadata(new Targets({ version: 1, expires })).sign([online])).toBytes());
    meta.set(`${name}.json`, new MetaFile(1));
  }
  const snapshot = (await new Metadata(new Snapshot({ version: 1, expires, meta })).sign([online])).toBytes();
  await put("1.snapshot.json", snapshot);
  const snapshotMeta = new MetaFile(1, snapshot.length, { sha256: sha256Hex(snapshot) });
  await put("timestamp.json", (await new Metadata(new Timestamp({ version: 1, expires, snapshotMeta })).sign([online])).toBytes());
  return c.root.toBytes();
}

// A static file server in its own process, so that the CPU time measured is the client's alone.
const SERVER = `const http=require("node:http"),fs=require("node:fs"),path=require("node:path");const dir=process.argv[1];
const s=http.createServer((q,r)=>{const n=path.basename(q.url);fs.readFile(path.join(dir,n),(e,b)=>e?r.writeHead(404).end():r.writeHead(200,{"content-type":"application/json"}).end(b))});
s.listen(0,"127.0.0.1",()=>process.send(s.address().port));`;

/**
 * `tuf-edge verify` at 2^bits bins: every file fetched over loopback HTTP from a static server
 * (another process) and checked by the spec §5 client, as the monitor does.
 */
export async function benchVerify(o: { bits?: number; runs?: number; log?: (line: string) => void } = {}): Promise<VerifyBenchResult> {
  const bits = o.bits ?? 14;
  const dir = await mkdtemp(join(tmpdir(), "tuf-edge-bench-verify-"));
  const server = fork("-e", [SERVER, dir], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
  try {
    const root = await writeRepository(dir, bits);
    const port = await new Promise<number>((resolve) => server.once("message", (m) => resolve(Number(m))));
    useNativeEd25519();
    const seconds: number[] = [];
    const cpuSeconds: number[] = [];
    let bytes = 0;
    for (let i = 0; i < (o.runs ?? 3); i++) {
      const started = performance.now();
      const cpu = process.cpuUsage();
      const report = await verifyRepository({ url: `http://127.0.0.1:${port}`, trustedRoot: root, bins: "all" });
      const used = process.cpuUsage(cpu);
      seconds.push(Number(((performance.now() - started) / 1000).toFixed(2)));
      cpuSeconds.push(Number(((used.user + used.system) / 1e6).toFixed(2)));
      bytes = report.bytes;
      o.log?.(`verify, all ${report.bins.length} bins: ${seconds.at(-1)} s wall, ${cpuSeconds.at(-1)} s CPU`);
    }
    return { bins: 2 ** bits, seconds, cpuSeconds, bytes };
  } finally {
    server.kill();
    await rm(dir, { recursive: true, force: true });
  }
}
