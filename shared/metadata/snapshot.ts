import { FieldError } from "../errors.js";
import { type JsonObject, jsonRecord, readObject } from "../json.js";
import { MetaFile } from "./files.js";
import { type Common, SPEC_VERSION, checkCommon, commonJSON, readCommon } from "./signed.js";

export interface SnapshotFields extends Partial<Common> {
  version: number;
  expires: number;
  meta: Map<string, MetaFile>;
}

/** snapshot.json (spec §4.4): the version of every targets role, keyed `<role>.json`. */
export class Snapshot implements Common {
  readonly type = "snapshot";
  readonly version: number;
  readonly expires: number;
  readonly specVersion: string;
  readonly extra: JsonObject;
  readonly meta: ReadonlyMap<string, MetaFile>;

  constructor(f: SnapshotFields) {
    this.expires = checkCommon(f);
    this.version = f.version;
    this.specVersion = f.specVersion ?? SPEC_VERSION;
    this.extra = f.extra ?? {};
    this.meta = f.meta;
    if (!this.meta.has("targets.json")) throw new FieldError("signed.meta", "must list targets.json");
  }

  static fromJSON(value: unknown): Snapshot {
    const o = readObject(value, "signed");
    const common = readCommon(o, "snapshot", ["meta"]);
    const meta = new Map<string, MetaFile>();
    for (const [name, m] of Object.entries(readObject(o.meta, "signed.meta"))) {
      meta.set(name, MetaFile.fromJSON(m, `signed.meta.${name}`));
    }
    return new Snapshot({ ...common, meta });
  }

  toJSON(): JsonObject {
    const meta = jsonRecord();
    for (const [name, m] of this.meta) meta[name] = m.toJSON();
    return { ...commonJSON("snapshot", this), meta };
  }
}
