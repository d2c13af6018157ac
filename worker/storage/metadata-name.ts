/**
 * The names clients may ask for under /metadata (spec §5, consistent snapshots): the unversioned
 * `timestamp.json`, and `N.role.json` for every other role. Parsing is strict so that no request
 * can reach an R2 key the publisher did not write: N is a positive safe integer without leading
 * zeros, a role name is letters, digits, `_`, `-` and inner single dots, nothing is percent-encoded.
 */
export type MetadataName =
  | { readonly kind: "timestamp"; readonly name: "timestamp.json" }
  | { readonly kind: "versioned"; readonly name: string; readonly version: number; readonly role: string };

const VERSIONED = /^([1-9][0-9]{0,15})\.([A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\.json$/;
const MAX_NAME_LENGTH = 255;

export function parseMetadataName(name: string): MetadataName | null {
  if (name === "timestamp.json") return { kind: "timestamp", name };
  if (name.length > MAX_NAME_LENGTH) return null;
  const m = VERSIONED.exec(name);
  if (!m) return null;
  const version = Number(m[1]);
  const role = m[2]!;
  // The timestamp is never versioned; anything else is only a name to look up.
  if (!Number.isSafeInteger(version) || role === "timestamp") return null;
  return { kind: "versioned", name, version, role };
}
