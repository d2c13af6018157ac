import { allBinNames, binFor } from "../../shared/bins.js";
import { refresh } from "../../shared/client.js";
import type { TestWorker } from "./worker.js";

/**
 * What the current timestamp reaches, verified by our spec §5 client over HTTP (it throws if the
 * repository is not valid and consistent): each path's signed entry, removal record and serial.
 */
export async function verifiedState(w: TestWorker, rootBytes: Uint8Array, bits: number) {
  const get = async (name: string) => {
    const res = await fetch(`${w.url}/metadata/${name}`);
    return res.status === 404 ? null : new Uint8Array(await res.arrayBuffer());
  };
  const bins = allBinNames(bits);
  const t = await refresh(rootBytes, get, Date.now(), bins);
  const bin = (path: string) => t.targets.get(binFor(path, bits))!.signed;
  const removed = (path: string) => (bin(path).extra["x-tuf-edge-removed"] as Record<string, { serial?: number }> | undefined)?.[path];
  return {
    snapshot: t.snapshot!.signed.version,
    target: (path: string) => bin(path).targets.get(path),
    removed,
    /** The serial a path holds now, published or removed (0: none). */
    serial: (path: string): number => (bin(path).targets.get(path)?.custom?.serial as number | undefined) ?? removed(path)?.serial ?? 0,
  };
}

/** A seeded shuffle, so a failure names the seed that reproduces it (random.ts). */
export { shuffled } from "./random.js";
