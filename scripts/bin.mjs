#!/usr/bin/env node
// The `tuf-edge` command: registers tsx so Node runs the TypeScript CLI directly, without a build.
import { register } from "tsx/esm/api";

register();
const { runFromProcess } = await import("./cli.ts");
const { COMMANDS } = await import("./commands.ts");
await runFromProcess(COMMANDS);
