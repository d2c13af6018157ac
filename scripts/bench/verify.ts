import { ed25519Signer } from "../../shared/keys.js";
import { bootstrapRepository, devCeremony } from "../lib/dev-repo.js";
import { useNativeEd25519 } from "../lib/native-ed25519.js";
import { bundleWorker, startLocalWorker } from "../lib/local-worker.js";
import { verifyRepository } from "../lib/verify.js";

export interface VerifyBenchResult {
  readonly bins: number;
  /** Wall time of `tuf-edge verify --all-bins` (the spec §5 client), each run. */
  readonly seconds: readonly number[];
  readonly bytes: number;
}

/**
 * `tuf-edge verify` against the local Worker at 2^bits bins: every bin fetched over HTTP from
 * workerd and checked (signatures, threshold, version, expiry), as the monitor does.
 */
export async function benchVerify(o: { bits?: number; runs?: number; log?: (line: string) => void; bundle?: boolean }): Promise<VerifyBenchResult> {
  const bits = o.bits ?? 14;
  if (o.bundle) await bundleWorker();
  const w = await startLocalWorker();
  try {
    const online = (await ed25519Signer(w.onlineSeed)).key;
    const ceremony = await devCeremony(online, bits);
    await bootstrapRepository(w.url, w.secrets.ADMIN_TOKEN, ceremony);
    useNativeEd25519();
    const seconds: number[] = [];
    let bytes = 0;
    for (let i = 0; i < (o.runs ?? 3); i++) {
      const started = performance.now();
      const report = await verifyRepository({ url: w.url, trustedRoot: ceremony.root.toBytes(), bins: "all" });
      seconds.push(Number(((performance.now() - started) / 1000).toFixed(2)));
      bytes = report.bytes;
      o.log?.(`verify --all-bins: ${report.bins.length} bins in ${seconds.at(-1)} s`);
    }
    return { bins: 2 ** bits, seconds, bytes };
  } finally {
    await w.close();
  }
}
