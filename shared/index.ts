// The runtime-agnostic TUF core: used by the Worker, the CLI and the tests.
export * from "./bins.js";
export * from "./canonical.js";
export * from "./client.js";
export * from "./encoding.js";
export * from "./errors.js";
export * from "./json.js";
export * from "./keys.js";
export * from "./metadata/files.js";
export * from "./metadata/metadata.js";
export * from "./metadata/root.js";
export * from "./metadata/signed.js";
export * from "./metadata/snapshot.js";
export * from "./metadata/targets.js";
export * from "./metadata/timestamp.js";
export * from "./target-search.js";
export * from "./time.js";
export * from "./upload.js";
