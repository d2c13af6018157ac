import { readFileSync } from "node:fs";
import { cronIntervalSeconds } from "../../worker/publish/cron.js";

/** The cron expressions of wrangler.toml's [triggers] (`crons = ["*\/5 * * * *"]`). */
export function declaredCrons(wranglerToml: string): string[] {
  const text = readFileSync(wranglerToml, "utf8");
  const line = /^\s*crons\s*=\s*\[([^\]]*)\]/m.exec(text)?.[1] ?? "";
  return [...line.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/**
 * `wrangler dev --test-scheduled` only exposes /cdn-cgi/handler/scheduled: call it on the schedule
 * that production runs, so a local repository renews itself. Runs once at start (catching up on
 * what fell due while it was stopped), then at each multiple of the cron's interval (for the
 * usual shapes, the same minutes as Cloudflare: *\/5 fires at :00, :05, …). Returns a stop function.
 */
export function runDeclaredCrons(url: string, crons: readonly string[], log: (line: string) => void): () => void {
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  for (const cron of crons) {
    const interval = (cronIntervalSeconds(cron) ?? 3600) * 1000;
    const fire = async () => {
      if (stopped) return;
      try {
        const res = await fetch(`${url}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent(cron)}`);
        await res.body?.cancel();
        if (!res.ok) log(`cron ${cron}: the Worker answered HTTP ${res.status} (see its log above)`);
      } catch (e) {
        log(`cron ${cron}: could not reach the Worker (${(e as Error).message})`);
      }
      schedule();
    };
    const schedule = () => {
      if (stopped) return;
      const now = Date.now();
      timers.push(setTimeout(fire, Math.ceil((now + 1) / interval) * interval - now));
    };
    void fire();
  }
  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
  };
}
