import { canonicalBytes, canonicalJson } from "../canonical.js";
import { FieldError, VerificationError } from "../errors.js";
import { fromUtf8, toHex } from "../encoding.js";
import { type JsonObject, readObject, readString } from "../json.js";
import type { Key, Signer } from "../keys.js";
import { Root, keyFor } from "./root.js";
import { Snapshot } from "./snapshot.js";
import { Targets } from "./targets.js";
import { Timestamp } from "./timestamp.js";

export type Signed = Root | Targets | Snapshot | Timestamp;
export interface Signature {
  readonly keyid: string;
  readonly sig: string;
}

/** Keys and threshold that must sign a role (a root Role or a delegation). */
export interface Delegate {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

const PARSERS = { root: Root.fromJSON, targets: Targets.fromJSON, snapshot: Snapshot.fromJSON, timestamp: Timestamp.fromJSON };

/** The envelope `{"signed": …, "signatures": […]}` (spec §4.2). */
export class Metadata<T extends Signed = Signed> {
  constructor(
    readonly signed: T,
    readonly signatures: readonly Signature[] = [],
  ) {}

  static parse<K extends keyof typeof PARSERS>(bytes: Uint8Array | string, type: K): Metadata<ReturnType<(typeof PARSERS)[K]>> {
    let json: unknown;
    try {
      json = JSON.parse(typeof bytes === "string" ? bytes : fromUtf8(bytes));
    } catch (e) {
      throw new FieldError("", `not valid JSON: ${(e as Error).message}`);
    }
    return Metadata.fromJSON(json, type);
  }

  static fromJSON<K extends keyof typeof PARSERS>(json: unknown, type: K): Metadata<ReturnType<(typeof PARSERS)[K]>> {
    const o = readObject(json, "");
    const sigs = o.signatures;
    if (!Array.isArray(sigs)) throw new FieldError("signatures", "must be an array");
    const signatures = sigs.map((s, i) => {
      const so = readObject(s, `signatures[${i}]`);
      return { keyid: readString(so, "keyid", `signatures[${i}]`), sig: readString(so, "sig", `signatures[${i}]`) };
    });
    // python-tuf refuses an envelope that repeats a keyid; so do we.
    if (new Set(signatures.map((s) => s.keyid)).size !== signatures.length) {
      throw new FieldError("signatures", "must not hold two signatures by one keyid");
    }
    const parse = PARSERS[type] as (v: unknown) => ReturnType<(typeof PARSERS)[K]>;
    return new Metadata(parse(o.signed), signatures);
  }

  /** The bytes every signature is over: canonical JSON of `signed`. */
  signedBytes(): Uint8Array {
    return canonicalBytes(this.signed.toJSON());
  }

  /** A copy signed by these signers (replacing any earlier signature by the same key). */
  async sign(signers: readonly Signer[], append = true): Promise<Metadata<T>> {
    const bytes = this.signedBytes();
    const fresh = await Promise.all(signers.map(async (s) => ({ keyid: s.key.keyid, sig: toHex(await s.sign(bytes)) })));
    const keep = append ? this.signatures.filter((s) => !fresh.some((f) => f.keyid === s.keyid)) : [];
    return new Metadata(this.signed, [...keep, ...fresh]);
  }

  toJSON(): JsonObject {
    return { signatures: this.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })), signed: this.signed.toJSON() };
  }

  /** The served file. Canonical too, so its SHA-256 is stable for identical content. */
  toBytes(): Uint8Array {
    return canonicalBytes(this.toJSON());
  }

  toString(): string {
    return canonicalJson(this.toJSON());
  }

  /** Keyids of `delegate` that signed these bytes validly, each once; unknown keyids are ignored. */
  validSigners(delegate: Delegate, keys: Readonly<Record<string, Key>>): string[] {
    const bytes = this.signedBytes();
    const valid = this.signatures
      .filter((s) => delegate.keyids.includes(s.keyid) && keyFor(keys, s.keyid)?.verify(s.sig, bytes))
      .map((s) => s.keyid);
    return [...new Set(valid)];
  }

  /** Throws unless a threshold of the delegate's keys signed (spec §5.3.4 and later steps). */
  verifyDelegate(name: string, delegate: Delegate, keys: Readonly<Record<string, Key>>): void {
    const valid = this.validSigners(delegate, keys).length;
    if (valid < delegate.threshold) {
      throw new VerificationError("threshold", `${name} has ${valid} valid signatures of the ${delegate.threshold} required`);
    }
  }
}
