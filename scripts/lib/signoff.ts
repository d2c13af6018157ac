import type { Key, Metadata, Root, Signer, Targets } from "../../shared/index.js";
import { type Ceremony, roleDelegation } from "./ceremony.js";
import { CliError } from "./errors.js";

/** A set of keys and how many of them must sign: a root role, or a delegation. */
interface KeySet {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

/** Who must sign one role of the ceremony: one or two key sets, each with its threshold. */
interface Signoff {
  /** root, targets, or one of PEP 480's roles (claimed, unclaimed, claimed-<prefix>). */
  readonly role: string;
  readonly metadata: Metadata<Root> | Metadata<Targets>;
  readonly by: readonly { label: string; role: KeySet; keys: Readonly<Record<string, Key>> }[];
}

function signoffs(c: Ceremony): Signoff[] {
  const out: Signoff[] = [];
  if (c.root) {
    const self = { label: "its own root keys", role: c.root.signed.roles.root, keys: c.root.signed.keys };
    const old = c.trustedRoot && {
      label: `the root keys of v${c.trustedRoot.signed.version}`, role: c.trustedRoot.signed.roles.root, keys: c.trustedRoot.signed.keys,
    };
    out.push({ role: "root", metadata: c.root, by: old ? [old, self] : [self] });
  }
  const rootForTargets = (c.root ?? c.trustedRoot)?.signed;
  if (c.targets && rootForTargets) {
    const label = `the targets keys of root v${rootForTargets.version}`;
    out.push({ role: "targets", metadata: c.targets, by: [{ label, role: rootForTargets.roles.targets, keys: rootForTargets.keys }] });
  }
  // PEP 480: claimed and unclaimed by the keys targets delegates them to, the parts by claimed's.
  for (const [name, metadata] of c.roles ?? []) {
    const d = roleDelegation(c, name);
    if (d) out.push({ role: name, metadata, by: [{ label: d.label, role: d.role, keys: d.keys }] });
  }
  return out;
}

/** The roles of the ceremony that `keyid` is one of the signers of. */
export function rolesSignedBy(c: Ceremony, keyid: string): string[] {
  return signoffs(c).filter((s) => s.by.some((d) => d.role.keyids.includes(keyid))).map((s) => s.role);
}

/** `a`, `a and b`, `a, b and c`. */
export const listed = (items: readonly string[]): string =>
  items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;

/** Adds the signer's signature to every role it is one of the signers of; names the roles signed. */
export async function signCeremony(c: Ceremony, signer: Signer): Promise<{ ceremony: Ceremony; signed: string[] }> {
  const names = rolesSignedBy(c, signer.key.keyid);
  if (names.length === 0) throw new CliError(`key ${signer.key.keyid} is not one of the keys that sign this ceremony`);
  const sign = <T extends Metadata<Root> | Metadata<Targets>>(name: string, m: T | undefined): Promise<T | undefined> =>
    m && names.includes(name) ? (m.sign([signer]) as Promise<T>) : Promise.resolve(m);
  const root = await sign("root", c.root);
  const targets = await sign("targets", c.targets);
  const roles = c.roles && new Map(await Promise.all([...c.roles].map(async ([name, m]) => [name, (await sign(name, m))!] as const)));
  const version = (name: string) => (name === "root" ? root : name === "targets" ? targets : roles!.get(name))!.signed.version;
  return { ceremony: { ...c, root, targets, ...(roles ? { roles } : {}) }, signed: names.map((n) => `${n} v${version(n)}`) };
}

export interface ThresholdStatus {
  role: string;
  version: number;
  label: string;
  valid: number;
  threshold: number;
  missing: number;
  /** Holders (by name where the ceremony knows it, else a short keyid) who signed, and who have not. */
  signedBy: string[];
  notYet: string[];
}

/** A key holder as people know them: the keygen name, else the first 8 hex of the keyid. */
export const holderName = (c: Ceremony, keyid: string): string => c.names?.[keyid] ?? `key ${keyid.slice(0, 8)}`;

export function signatureStatus(c: Ceremony): ThresholdStatus[] {
  return signoffs(c).flatMap((s) =>
    s.by.map((d) => {
      const signers = new Set(s.metadata.validSigners(d.role, d.keys));
      const valid = signers.size;
      return {
        role: s.role, version: s.metadata.signed.version, label: d.label, valid, threshold: d.role.threshold,
        missing: Math.max(0, d.role.threshold - valid),
        signedBy: d.role.keyids.filter((id) => signers.has(id)).map((id) => holderName(c, id)),
        notYet: d.role.keyids.filter((id) => !signers.has(id)).map((id) => holderName(c, id)),
      };
    }),
  );
}

/**
 * `root v2: the root keys of v1: 1 signature, 2 needed (1 missing: any of bob, carol); signed by alice`.
 * More signatures than the threshold are fine: "3 signatures, 2 needed (complete)".
 */
export function formatStatus(status: ThresholdStatus[]): string[] {
  const byRole = new Map<string, ThresholdStatus[]>();
  for (const s of status) byRole.set(`${s.role} v${s.version}`, [...(byRole.get(`${s.role} v${s.version}`) ?? []), s]);
  const one = (s: ThresholdStatus) => {
    const count = `${s.valid} signature${s.valid === 1 ? "" : "s"}, ${s.threshold} needed`;
    const missing = s.missing ? `${s.missing} missing: ${s.missing === s.notYet.length ? "" : "any of "}${s.notYet.join(", ")}` : "complete";
    return `${s.label}: ${count} (${missing})${s.signedBy.length ? `; signed by ${s.signedBy.join(", ")}` : ""}`;
  };
  return [...byRole].map(([role, list]) => `${role}: ${list.map(one).join("; ")}`);
}

/** Throws unless every threshold is met: checked before anything is sent to the Worker. */
export function assertComplete(c: Ceremony): void {
  const incomplete = signatureStatus(c).filter((s) => s.missing > 0);
  if (incomplete.length) {
    const what = incomplete.map((s) => `${s.role} v${s.version} lacks ${s.missing} of ${s.label} (${s.notYet.join(", ")})`).join("; ");
    throw new CliError(`not enough signatures: ${what}; collect them with \`tuf-edge ceremony sign\``);
  }
}
