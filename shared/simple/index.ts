// The simple repository API (PEP 503, 691, 700, 658/714) as TUF targets (PEP 458): pure, no I/O.
export * from "./names.js";
export * from "./page.js";
export * from "./render.js";
export * from "./version.js";
export * from "./release.js";
export * from "./root.js";
