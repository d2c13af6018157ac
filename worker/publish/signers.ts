import { type Signer, ed25519Signer, seedFromHex } from "../../shared/keys.js";
import type { Env } from "../env.js";

let cached: { secrets: string; signers: Promise<Signer[]> } | undefined;

/**
 * The online signers: ONLINE_KEY, plus ONLINE_KEY_NEXT during a rotation. Every online role is
 * signed by all of them, so clients that trust either root verify (unknown keyids are ignored).
 */
export function onlineSigners(env: Env): Promise<Signer[]> {
  const secrets = `${env.ONLINE_KEY}|${env.ONLINE_KEY_NEXT ?? ""}`;
  if (cached?.secrets !== secrets) {
    const seeds = [seedFromHex(env.ONLINE_KEY ?? "", "ONLINE_KEY")];
    if (env.ONLINE_KEY_NEXT) seeds.push(seedFromHex(env.ONLINE_KEY_NEXT, "ONLINE_KEY_NEXT"));
    cached = { secrets, signers: Promise.all(seeds.map(ed25519Signer)) };
  }
  return cached.signers;
}
