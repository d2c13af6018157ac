import { normalizeProject, parseDistFilename } from "../simple/names.js";
import { comparePep440, parseVersion } from "../simple/version.js";
import { DistRefusal, type RangeReader, tarMember, zipEntries, zipMember } from "./archive.js";

/**
 * A distribution checked as PyPI checks an upload, before anything is signed: a wheel is a zip
 * whose `{name}-{version}.dist-info/METADATA` names the project and version of its file name; an
 * sdist is a gzip tar (or a zip) whose `{name}-{version}/PKG-INFO` does. Only what is needed is
 * read (shared/distribution/archive.ts bounds it). A wheel's METADATA is what PEP 658 serves as its
 * `.metadata`, so it is returned for publishing.
 */

export { DistRefusal } from "./archive.js";

export interface StoredDist {
  readonly reader: RangeReader;
  /** The whole object as a stream (a tar.gz is read from its start). */
  stream(): Promise<ReadableStream<Uint8Array>>;
}

/** The `Name` and `Version` headers of core metadata (RFC 822 style; the body after the first blank line is the description). */
export function metadataHeaders(bytes: Uint8Array): { name: string | null; version: string | null } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new DistRefusal("its metadata is not UTF-8");
  }
  const head = text.split(/\r?\n\r?\n/, 1)[0]!;
  const field = (key: string) => new RegExp(`^${key}:[ \\t]*(.*?)[ \\t]*$`, "mi").exec(head)?.[1] ?? null;
  return { name: field("Name"), version: field("Version") };
}

/** PEP 440 equality ("1.0" and "1.0.0" are one version); other versions as spelled (a wheel escapes `-` as `_`). */
function sameVersion(a: string, b: string): boolean {
  const [va, vb] = [parseVersion(a), parseVersion(b)];
  if (va && vb) return comparePep440(va, vb) === 0;
  return a.toLowerCase().replace(/-/g, "_") === b.toLowerCase().replace(/-/g, "_");
}

function checkNames(bytes: Uint8Array, member: string, project: string, version: string) {
  const meta = metadataHeaders(bytes);
  if (!meta.name || !meta.version) throw new DistRefusal(`${member} states no Name or Version`);
  if (normalizeProject(meta.name) !== project) throw new DistRefusal(`${member} names project ${meta.name}, not ${project} as the file name says`);
  if (!sameVersion(meta.version, version)) throw new DistRefusal(`${member} states version ${meta.version}, not ${version} as the file name says`);
}

/**
 * Checks the distribution stored at `path`; returns a wheel's METADATA (null for an sdist).
 * Throws a DistRefusal whose message is the reason an uploader reads.
 */
export async function inspectDist(path: string, dist: StoredDist): Promise<{ metadata: Uint8Array | null }> {
  const filename = path.slice(path.lastIndexOf("/") + 1);
  const parsed = parseDistFilename(filename);
  if (!parsed) throw new DistRefusal("names no project: not a wheel or sdist file name");
  if (dist.reader.size === 0) throw new DistRefusal("is empty");
  if (parsed.kind === "wheel") {
    const entries = await zipEntries(dist.reader);
    const infos = entries.filter((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
    if (infos.length !== 1) throw new DistRefusal(`is not a wheel: it holds ${infos.length} *.dist-info/METADATA files, not one`);
    const metadata = await zipMember(dist.reader, infos[0]!);
    checkNames(metadata, infos[0]!.name, parsed.project, parsed.version);
    return { metadata };
  }
  const top = filename.replace(/\.(tar\.gz|zip)$/, "");
  const isPkgInfo = (name: string) => name === `${top}/PKG-INFO` || /^[^/]+\/PKG-INFO$/.test(name);
  let pkgInfo: { name: string; bytes: Uint8Array } | null;
  if (filename.endsWith(".zip")) {
    const entry = (await zipEntries(dist.reader)).find((e) => isPkgInfo(e.name));
    pkgInfo = entry ? { name: entry.name, bytes: await zipMember(dist.reader, entry) } : null;
  } else {
    pkgInfo = await tarMember(await dist.stream(), isPkgInfo);
  }
  if (!pkgInfo) throw new DistRefusal("is not an sdist: it holds no {name}-{version}/PKG-INFO");
  checkNames(pkgInfo.bytes, pkgInfo.name, parsed.project, parsed.version);
  return { metadata: null };
}
