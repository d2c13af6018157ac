import type { CommandTable } from "./cli.js";

/**
 * What a key holder's packed CLI holds (npm run pack:cli), and the start of the full table
 * (scripts/commands.ts). Nothing here may load workerd, wrangler or tuf-js: the pack checks.
 */
export const CARRIED: CommandTable = {
  keygen: { summary: "create an offline key (passphrase-encrypted) or the online key", load: () => import("./commands/keygen.js") },
  ceremony: { summary: "create root and targets metadata, and sign them by several key holders", load: () => import("./commands/ceremony.js") },
  bootstrap: { summary: "publish root v1 and targets v1 from a signed ceremony file", load: () => import("./commands/bootstrap.js") },
  rotate: { summary: "publish a new root version (root keys, thresholds, online key)", load: () => import("./commands/rotate.js") },
  targets: { summary: "publish a targets ceremony: a new targets version, or PEP 480's claimed and unclaimed", load: () => import("./commands/targets.js") },
  upload: { summary: "publish a file: send its length and sha256 to the upload webhook, signed", load: () => import("./commands/upload.js") },
  remove: { summary: "revoke targets: send their removal to the upload webhook, signed", load: () => import("./commands/remove.js") },
  verify: { summary: "check a live repository as an installer would (every bin) and how long each role stays valid", load: () => import("./commands/verify.js") },
  status: { summary: "show the repository's status (GET /v1/status)", load: () => import("./commands/status.js") },
  project: { summary: "sign your own project's files (PEP 480): init, add, sign, delegate, status, push; claim (operator)", load: () => import("./commands/project.js") },
};

