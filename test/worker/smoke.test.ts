import { afterAll, beforeAll, expect, test } from "vitest";
import { type TestWorker, startWorker } from "../support/worker.js";

let w: TestWorker;
beforeAll(async () => {
  w = await startWorker();
});
afterAll(() => w.close());

test("an unknown route is a JSON 404", async () => {
  const res = await fetch(`${w.url}/nope`);
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual({ error: "not found" });
});
