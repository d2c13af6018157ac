// PEP 480 project roles: the layout, the claims' patterns, claimed's parts, and the checks on a pushed role.
export * from "./claimed.js";
export * from "./layout.js";
export * from "./patterns.js";
export * from "./refusal.js";
export * from "./verify.js";
export * from "./push-auth.js";
export * from "./migrate.js";
export * from "./ceremony.js";
