import { type LocalWorker, type StartOptions, startLocalWorker } from "../../scripts/lib/local-worker.js";

export type TestWorker = LocalWorker;

/**
 * The bundled Worker (built by global-setup) in workerd, with wrangler.toml's bindings. The
 * `faulty` entry keeps R2's production rules on METADATA (faulty-worker.ts): a write that broke
 * one is refused, and may be retried into success by the writer, so `close` fails the test file
 * that let it happen, naming each refusal (a test that breaks a rule on purpose resets them).
 */
export async function startWorker(options: StartOptions & { entry?: "index" | "faulty" | "production-model" } = {}): Promise<TestWorker> {
  const w = await startLocalWorker(options);
  if (options.entry !== "faulty") return w;
  const close = w.close;
  return Object.assign(w, {
    async close() {
      const { violations } = (await (await fetch(`${w.url}/__test/r2-rules`)).json()) as { violations: string[] };
      await close();
      if (violations.length) throw new Error(`R2's production rules were broken ${violations.length} time(s):\n${violations.join("\n")}`);
    },
  });
}

/** R2 rules refused so far in a `faulty` Worker; `reset` forgets them (and the keys' last writes). */
export async function r2RuleViolations(w: TestWorker, reset = false): Promise<string[]> {
  const res = await fetch(`${w.url}/__test/r2-rules`, { method: "POST", body: JSON.stringify({ reset }) });
  return ((await res.json()) as { violations: string[] }).violations;
}
