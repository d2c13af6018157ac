import { FieldError } from "../errors.js";
import { type JsonObject, readObject } from "../json.js";
import { MetaFile } from "./files.js";
import { type Common, SPEC_VERSION, checkCommon, commonJSON, readCommon } from "./signed.js";

export interface TimestampFields extends Partial<Common> {
  version: number;
  expires: number;
  snapshotMeta: MetaFile;
}

/** timestamp.json (spec §4.6): the snapshot's version, length and hashes, and nothing else. */
export class Timestamp implements Common {
  readonly type = "timestamp";
  readonly version: number;
  readonly expires: number;
  readonly specVersion: string;
  readonly extra: JsonObject;
  readonly snapshotMeta: MetaFile;

  constructor(f: TimestampFields) {
    this.expires = checkCommon(f);
    this.version = f.version;
    this.specVersion = f.specVersion ?? SPEC_VERSION;
    this.extra = f.extra ?? {};
    this.snapshotMeta = f.snapshotMeta;
  }

  static fromJSON(value: unknown): Timestamp {
    const o = readObject(value, "signed");
    const common = readCommon(o, "timestamp", ["meta"]);
    const meta = readObject(o.meta, "signed.meta");
    const names = Object.keys(meta);
    if (names.length !== 1 || names[0] !== "snapshot.json") {
      throw new FieldError("signed.meta", "must hold exactly snapshot.json");
    }
    return new Timestamp({ ...common, snapshotMeta: MetaFile.fromJSON(meta["snapshot.json"], "signed.meta.snapshot.json") });
  }

  toJSON(): JsonObject {
    return { ...commonJSON("timestamp", this), meta: { "snapshot.json": this.snapshotMeta.toJSON() } };
  }
}
