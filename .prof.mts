import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { benchCore } from "./scripts/bench/core.ts";
const session = new Session(); session.connect();
await session.post("Profiler.enable");
let current: string | null = null;
async function stop() { if (current) { const { profile } = await session.post("Profiler.stop"); writeFileSync(`/tmp/corebench/${current}.cpuprofile`, JSON.stringify(profile)); current = null; } }
const r = await benchCore({ seed: Number(process.env.SEED ?? 200000), batches: Number(process.env.BATCHES ?? 3), resign: process.env.RESIGN === "1", log: console.error,
  onPart: async (part) => { await stop(); if (part !== "done") { current = part; await session.post("Profiler.start"); } } });
console.log(JSON.stringify({ t: r.targetsPerSecond, ms: r.msPerBin, steps: r.perBinStepsMicros, seed: r.seedSeconds, phases: r.runs.map(x => x.phasesMs), resign: r.resign }));
