// Invariant 14 for project changes: a commit reads signed project roles (up to 5 MB each) only up to
// PROJECT_BYTES_PER_COMMIT, decided from the messages before any record is read; the rest are queued
// again and acknowledged (waiting is no failure, so it never counts toward the dead-letter queue).
import { describe, expect, test } from "vitest";
import { PROJECT_BYTES_PER_COMMIT, withinProjectBudget } from "../../worker/publish/consumer.js";
import type { QueueMessage } from "../../worker/storage/messages.js";

const message = (body: QueueMessage) => {
  const m = { body, acked: false, ack() { m.acked = true; }, retry() { throw new Error("a deferred change is queued again, not retried"); } };
  return m;
};

describe("project changes within a commit's byte budget", () => {
  test("the first always goes; the rest up to the budget; uploads and jobs are not counted; the others are queued again and acknowledged", async () => {
    const MB = 1024 * 1024;
    const bodies: QueueMessage[] = [
      { kind: "project", id: "a", bytes: 5 * MB },
      { kind: "upload", id: "u" },
      { kind: "project", id: "b", bytes: 5 * MB },
      { kind: "project", id: "c", bytes: 5 * MB },
      { kind: "project", id: "d", bytes: 5 * MB },
      { kind: "job", job: "j", step: 0 },
      { kind: "project", id: "e", bytes: 1 },
    ];
    const messages = bodies.map(message);
    const requeued: QueueMessage[] = [];
    const kept = await withinProjectBudget({ enqueueAll: async (b) => void requeued.push(...b) }, messages as never);
    expect(kept.map((m) => (m.body as { id?: string; job?: string }).id ?? "job")).toEqual(["a", "u", "b", "c", "job"]);
    expect(requeued.map((b) => (b as { id: string }).id)).toEqual(["d", "e"]);
    expect(messages.filter((m) => m.acked).map((m) => (m.body as { id: string }).id)).toEqual(["d", "e"]);
    expect(3 * 5 * MB).toBeLessThanOrEqual(PROJECT_BYTES_PER_COMMIT);

    const big = [message({ kind: "project", id: "huge", bytes: 2 * PROJECT_BYTES_PER_COMMIT })];
    expect(await withinProjectBudget({ enqueueAll: async () => {} }, big as never)).toHaveLength(1);
  });
});
