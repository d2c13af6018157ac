import { type Clock, systemClock } from "../../shared/time.js";
import type { Env } from "../env.js";
import { type SequencerStatus, sequencerOn } from "../storage/inbox.js";
import type { QueueMessage } from "../storage/messages.js";
import { type ConsumerContext, consume, consumeDeadLetters } from "./consumer.js";
import { writerContext } from "./context.js";

/**
 * The sequencer (issue 20): one Durable Object that owns the writer's inbox in its SQLite storage and
 * commits on its alarm, at most once a second (group commit: each commit takes what arrived during
 * the one before, which waits for timestamp.json's one write a second). The Queue stays the inbox from the
 * outside: its consumer only moves each batch into the sequencer (one call) and acknowledges it, so
 * the queue drains at once. Every write to the repository that is not the cron's then happens in the
 * alarm, one at a time: upload commits and the steps of admin jobs (bootstrap, re-sign, rotation),
 * whose next steps are rows here, not queue messages that could be lost.
 *
 * A row leaves the inbox only when the commit that decided it has returned (`consume` acknowledged
 * it); a crash anywhere before that leaves it in place and the next alarm delivers it again, which
 * the commit protocol makes harmless (invariant 5). Rows delivered 11 times (the queue's
 * max_retries of 10, plus the first) go to the dead-letter path, as the queue's would.
 */

/** Deliveries before a message is given up on: wrangler.toml's `max_retries` for the queue, plus the first. */
export const MAX_DELIVERIES = 11;
/** Messages one commit considers (the budget in consume decides how many it takes). */
const BATCH = 250;

interface Row {
  seq: number;
  body: string;
  kind: string;
  deliveries: number;
  received: number;
  [key: string]: SqlStorageValue;
}

type Outcome = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

/**
 * The Durable Object class; `wrapEnv` and `clock` as in createWorker (tests inject R2 faults and move
 * the clock; the bench's production model wraps each invocation's bindings). `retryScale` shortens
 * retry delays for a test that lets a message run out of deliveries; production's is 1.
 */
export function createSequencer(wrapEnv: (env: Env) => Env = (env) => env, clock: Clock = systemClock, retryScale: () => number = () => 1) {
  return class Sequencer {
    readonly sql: SqlStorage;

    constructor(
      readonly state: DurableObjectState,
      readonly env: Env,
    ) {
      this.sql = state.storage.sql;
      this.sql.exec(`CREATE TABLE IF NOT EXISTS inbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        body TEXT NOT NULL,
        kind TEXT NOT NULL,
        deliveries INTEGER NOT NULL DEFAULT 0,
        not_before INTEGER NOT NULL,
        received INTEGER NOT NULL
      )`);
      this.sql.exec("CREATE INDEX IF NOT EXISTS inbox_due ON inbox (not_before, seq)");
      this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    }

    async fetch(request: Request): Promise<Response> {
      const path = new URL(request.url).pathname;
      if (path === "/inbox" && request.method === "POST") {
        const bodies = (await request.json()) as QueueMessage[];
        this.add(bodies, 0);
        await this.schedule();
        return Response.json({ taken: bodies.length });
      }
      if (path === "/status") return Response.json(await this.status());
      return new Response("not found", { status: 404 });
    }

    /** Rows in, due `delaySeconds` from now (by real time: alarms run on it). */
    add(bodies: readonly QueueMessage[], delaySeconds: number) {
      const now = Date.now();
      for (const body of bodies) {
        this.sql.exec("INSERT INTO inbox (body, kind, not_before, received) VALUES (?, ?, ?, ?)", JSON.stringify(body), body.kind ?? "r2-event", now + delaySeconds * 1000, now);
      }
    }

    /**
     * The alarm at the earliest due row. Commits stay at most one a second without waiting here: a
     * commit waits for timestamp.json's write slot itself, at its end, after its reads, decisions and
     * bin writes (which overlap the wait), and what arrives meanwhile rides the next alarm's commit.
     */
    async schedule() {
      const at = this.sql.exec<{ t: number | null }>("SELECT MIN(not_before) AS t FROM inbox").one().t;
      if (at === null) return;
      const set = await this.state.storage.getAlarm();
      if (set === null || set > at) await this.state.storage.setAlarm(at);
    }

    meta(key: string): string | null {
      return this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = ?", key).toArray()[0]?.value ?? null;
    }

    setMeta(key: string, value: string) {
      this.sql.exec("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
    }

    async alarm() {
      const env = wrapEnv(this.env);
      const start = Date.now();
      const rows = this.sql.exec<Row>("SELECT seq, body, kind, deliveries, received FROM inbox WHERE not_before <= ? ORDER BY seq LIMIT ?", start, BATCH).toArray();
      let error: string | undefined;
      this.setMeta("inProgress", JSON.stringify({ at: new Date(start).toISOString(), messages: rows.length }));
      try {
        if (!sequencerOn(env)) await this.handBack(env);
        else if (rows.length) await this.deliver(env, rows);
      } catch (e) {
        // Rows not acknowledged stay: the next alarm delivers them again.
        error = (e as Error).message;
        console.error(JSON.stringify({ event: "sequencer-alarm-failed", error }));
      }
      this.sql.exec("DELETE FROM meta WHERE key = 'inProgress'");
      this.setMeta("lastAlarm", JSON.stringify({ at: new Date(start).toISOString(), ms: Date.now() - start, messages: rows.length, ...(error && { error }) }));
      await this.schedule();
    }

    /**
     * Switched back to the queue consumer (WRITER="consumer"): the inbox goes back to the queue, in
     * order, and leaves here only once the queue has taken it.
     */
    async handBack(env: Env) {
      for (;;) {
        const rows = this.sql.exec<Row>("SELECT seq, body FROM inbox ORDER BY seq LIMIT 100").toArray();
        if (rows.length === 0) return;
        await env.UPLOADS.sendBatch(rows.map((r) => ({ body: JSON.parse(r.body) as QueueMessage })));
        this.sql.exec("DELETE FROM inbox WHERE seq <= ?", rows[rows.length - 1]!.seq);
      }
    }

    /** One commit: the due rows as a queue batch through the consumer's own logic. */
    async deliver(env: Env, rows: Row[]) {
      const outcomes = new Map<number, Outcome>();
      let ctx: ConsumerContext | undefined;
      let failure: unknown;
      try {
        // Next job steps and uploads deferred to the next commit become rows, not queue messages.
        ctx = {
          ...(await writerContext(env, clock)),
          enqueue: async (message, delaySeconds = 0) => this.add([message], delaySeconds),
          enqueueAll: async (messages) => this.add(messages, 0),
        };
        await consume(ctx, batchOf(rows.map((r) => message(r, outcomes))));
      } catch (e) {
        // As the queue retries a batch whose handler threw: each message not yet settled, with backoff.
        failure = e;
        for (const r of rows) if (!outcomes.has(r.seq)) outcomes.set(r.seq, { kind: "retry", delaySeconds: Math.min(60, 2 ** (r.deliveries + 1)) });
      }
      const dead: Message<QueueMessage>[] = [];
      const now = Date.now();
      for (const r of rows) {
        const outcome = outcomes.get(r.seq) ?? { kind: "ack" };
        if (outcome.kind === "ack") this.sql.exec("DELETE FROM inbox WHERE seq = ?", r.seq);
        else if (r.deliveries + 1 >= MAX_DELIVERIES && ctx) dead.push(message(r, outcomes));
        else this.sql.exec("UPDATE inbox SET deliveries = deliveries + 1, not_before = ? WHERE seq = ?", now + outcome.delaySeconds * 1000 * retryScale(), r.seq);
      }
      if (dead.length && ctx) {
        // As the dead-letter queue's consumer would: rejected with the last error, then gone.
        await consumeDeadLetters(ctx, batchOf(dead));
        for (const m of dead) this.sql.exec("DELETE FROM inbox WHERE seq = ?", Number(m.id));
      }
      if (failure) throw failure;
    }

    async status(): Promise<SequencerStatus> {
      const now = Date.now();
      const counts = this.sql
        .exec<{ backlog: number; due: number; retrying: number; oldest: number | null }>(
          "SELECT COUNT(*) AS backlog, COALESCE(SUM(not_before <= ?), 0) AS due, COALESCE(SUM(deliveries > 0), 0) AS retrying, MIN(received) AS oldest FROM inbox",
          now,
        )
        .one();
      const jobSteps = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM inbox WHERE kind = 'job'").one().n;
      const lastAlarm = this.meta("lastAlarm");
      const inProgress = this.meta("inProgress");
      const next = await this.state.storage.getAlarm();
      return {
        backlog: counts.backlog,
        due: counts.due,
        oldest: counts.oldest === null ? null : new Date(counts.oldest).toISOString(),
        retrying: counts.retrying,
        jobSteps,
        lastAlarm: lastAlarm === null ? null : JSON.parse(lastAlarm),
        inProgress: inProgress === null ? null : JSON.parse(inProgress),
        nextAlarm: next === null ? null : new Date(next).toISOString(),
      };
    }
  };
}

/** A row as the queue's Message: acknowledging or retrying it records the outcome. */
function message(r: Row, outcomes: Map<number, Outcome>): Message<QueueMessage> {
  return {
    id: String(r.seq),
    timestamp: new Date(r.received),
    body: JSON.parse(r.body) as QueueMessage,
    attempts: r.deliveries + 1,
    ack: () => void outcomes.set(r.seq, { kind: "ack" }),
    retry: (options?: QueueRetryOptions) => void outcomes.set(r.seq, { kind: "retry", delaySeconds: options?.delaySeconds ?? 0 }),
  };
}

function batchOf(messages: Message<QueueMessage>[]): MessageBatch<QueueMessage> {
  return {
    queue: "tuf-edge-uploads",
    messages,
    metadata: { metrics: { backlogCount: messages.length, backlogBytes: 0 } },
    ackAll: () => messages.forEach((m) => m.ack()),
    retryAll: (options?: QueueRetryOptions) => messages.forEach((m) => m.retry(options)),
  };
}
