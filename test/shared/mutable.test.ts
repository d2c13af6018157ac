// The publisher's ordering rules (shared/mutable.ts) and the pure batch decision
// (worker/publish/decide.ts): no duplicate, reordering or replay may roll a path back.
import { describe, expect, it } from "vitest";
import { TargetFile } from "../../shared/metadata/files.js";
import { REMOVED_FIELD, type Removal, decideAdd, decideRemove, entryFor, readRemovals, serialOf, withRemovals } from "../../shared/mutable.js";
import { shuffled } from "../support/published.js";
import { type Change, MAX_BIN_BYTES, type PathView, type Upload, decideUploads } from "../../worker/publish/decide.js";

const hex = (n: number) => n.toString(16).padStart(64, "0");
const file = (n: number, serial?: number) => entryFor(n, { sha256: hex(n) }, undefined, serial);

describe("decideAdd and decideRemove", () => {
  const table: [string, TargetFile | null, { serial?: number } | null, TargetFile, number | undefined, string][] = [
    ["new path", null, null, file(1), undefined, "published"],
    ["new serial path", null, null, file(1, 5), 5, "published"],
    ["immutable, same file", file(1), null, file(1), undefined, "unchanged"],
    ["immutable, other file", file(1), null, file(2), undefined, "rejected"],
    ["immutable gaining a serial", file(1), null, file(1, 3), 3, "rejected"],
    ["serial path without a serial", file(1, 3), null, file(2), undefined, "rejected"],
    ["higher serial", file(1, 3), null, file(2, 4), 4, "published"],
    ["same serial, same file", file(1, 3), null, file(1, 3), 3, "unchanged"],
    ["same serial, other file", file(1, 3), null, file(2, 3), 3, "rejected"],
    ["lower serial", file(1, 3), null, file(2, 2), 2, "superseded"],
    ["removed immutable path, same bytes again", null, {}, file(1), undefined, "rejected"],
    ["removed immutable path, with a serial", null, {}, file(1, 9), 9, "rejected"],
    ["removed serial path, higher serial", null, { serial: 5 }, file(1, 6), 6, "published"],
    ["removed serial path, same serial", null, { serial: 5 }, file(1, 5), 5, "superseded"],
    ["removed serial path, lower serial", null, { serial: 5 }, file(1, 4), 4, "superseded"],
    ["removed serial path, no serial", null, { serial: 5 }, file(1), undefined, "rejected"],
  ];
  it.each(table)("add: %s", (_, current, removed, incoming, serial, outcome) => {
    expect(decideAdd(current, removed, incoming, serial).outcome).toBe(outcome);
  });

  const removals: [string, TargetFile | null, Removal | null, number | undefined, string, Removal | undefined][] = [
    ["immutable", file(1), null, undefined, "published", {}],
    ["immutable, with a serial", file(1), null, 3, "rejected", undefined],
    ["never published: remembered (bounded per bin), so a late add cannot bring it", null, null, undefined, "published", { unpublished: true }],
    ["never published, with a serial", null, null, 7, "published", { serial: 7, unpublished: true }],
    ["serial path, higher", file(1, 3), null, 4, "published", { serial: 4 }],
    ["serial path, same serial", file(1, 3), null, 3, "rejected", undefined],
    ["serial path, lower", file(1, 3), null, 2, "superseded", undefined],
    ["serial path, no serial: keeps its serial", file(1, 3), null, undefined, "published", { serial: 3 }],
    ["already removed", null, {}, undefined, "unchanged", undefined],
    ["already removed at a lower serial", null, { serial: 3 }, 8, "published", { serial: 8 }],
    ["already removed at a higher serial", null, { serial: 9 }, 8, "unchanged", undefined],
  ];
  it.each(removals)("remove: %s", (_, current, removed, serial, outcome, removal) => {
    const d = decideRemove(current, removed, serial);
    expect(d.outcome).toBe(outcome);
    if (d.outcome === "published") expect(d.removal).toEqual(removal);
  });

  it("states the serial in the signed entry's custom, beside the uploader's fields", () => {
    const f = entryFor(3, { sha256: hex(3) }, { project: "demo" }, 42);
    expect(f.toJSON()).toEqual({ length: 3, hashes: { sha256: hex(3) }, custom: { project: "demo", serial: 42 } });
    expect(serialOf(f)).toBe(42);
    expect(serialOf(file(3))).toBeUndefined();
  });

  it("keeps removal records in the bin's own field, round trip, and drops the field when empty", () => {
    const extra = withRemovals({ other: 1 }, new Map([["a", {}], ["__proto__", { serial: 2 }]]));
    expect(Object.keys(extra[REMOVED_FIELD] as object)).toEqual(["a", "__proto__"]);
    expect([...readRemovals(JSON.parse(JSON.stringify(extra)))]).toEqual([["a", {}], ["__proto__", { serial: 2 }]]);
    expect(withRemovals(extra, new Map())).toEqual({ other: 1 });
  });
});

// A tiny in-memory repository over decideUploads: each delivered batch is decided and applied.
type Held = { current: TargetFile | null; removed: { serial?: number } | null };
function repository() {
  const held = new Map<string, Held>();
  return {
    held,
    deliver(uploads: Upload[]) {
      const view = new Map<string, PathView>();
      for (const u of uploads) {
        for (const p of [...u.targets.map((t) => t.path), ...u.remove.map((r) => r.path)]) {
          view.set(p, { bin: "bins-0", current: held.get(p)?.current ?? null, removed: held.get(p)?.removed ?? null });
        }
      }
      const { changes, decisions } = decideUploads({ uploads, view, binBytes: new Map([["bins-0", 0]]), refused: new Map() });
      for (const [path, c] of changes as Map<string, Change>) held.set(path, { current: c.file, removed: c.file ? null : (c.removal ?? {}) });
      return decisions;
    },
  };
}

describe("decideUploads: shuffled, repeated and replayed delivery", () => {
  const PAGE = "simple/demo/vnd.pypi.simple.v1.html";
  // Serials 1..12: each an update of the page, some of them its removal.
  const updates: Upload[] = Array.from({ length: 12 }, (_, i) => {
    const serial = i + 1;
    return serial % 5 === 0
      ? { id: `u${serial}`, targets: [], remove: [{ path: PAGE, serial }] }
      : { id: `u${serial}`, targets: [{ path: PAGE, length: serial, hashes: { sha256: hex(serial) }, serial }], remove: [] };
  });

  const SEEDS = 200;
  it(`the ${SEEDS} seeds reach every order of 4 items (the shuffle is not biased away from any)`, () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= SEEDS; seed++) orders.add(shuffled([0, 1, 2, 3], seed).join(""));
    expect(orders.size).toBe(24);
  });

  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`ends at the highest serial whatever the order (seed ${seed})`, () => {
      const repo = repository();
      // Every update twice (at-least-once), shuffled, delivered in batches of random size.
      const deliveries = shuffled([...updates, ...updates], seed);
      let highest = 0;
      for (let i = 0; i < deliveries.length; ) {
        const size = 1 + ((seed + i) % 4);
        const batch = deliveries.slice(i, i + size).map((u, k) => ({ ...u, id: `${u.id}#${i + k}` }));
        i += size;
        const decisions = repo.deliver(batch);
        for (const d of decisions.values()) expect(d.targets.every((t) => t.outcome !== "rejected")).toBe(true);
        const h = repo.held.get(PAGE)!;
        const serial = h.current ? serialOf(h.current)! : h.removed!.serial!;
        // No commit ever goes back to an older serial.
        expect(serial).toBeGreaterThanOrEqual(highest);
        highest = serial;
      }
      // Serial 12 is an add (12 % 5 !== 0): the page holds it.
      expect(repo.held.get(PAGE)!.current?.length).toBe(12);
    });
  }

  it("a removed immutable path stays removed whatever is replayed, in any order", () => {
    const add: Upload = { id: "add", targets: [{ path: "p/x-1.0.tar.gz", length: 1, hashes: { sha256: hex(1) } }], remove: [] };
    const remove: Upload = { id: "rm", targets: [], remove: [{ path: "p/x-1.0.tar.gz" }] };
    for (const order of [[add, remove, add], [remove, add, add], [add, add, remove, add]]) {
      const repo = repository();
      for (const u of order) repo.deliver([u]);
      const held = repo.held.get("p/x-1.0.tar.gz")!;
      expect(held.current).toBeNull();
      expect(held.removed).toEqual(order[0] === remove ? { unpublished: true } : {});
    }
  });

  it("a lower serial is superseded, not an error: the rest of its upload still publishes", () => {
    const repo = repository();
    repo.deliver([{ id: "a", targets: [{ path: "page", length: 1, hashes: { sha256: hex(1) }, serial: 9 }], remove: [] }]);
    const d = repo.deliver([{ id: "b", targets: [
      { path: "page", length: 2, hashes: { sha256: hex(2) }, serial: 8 },
      { path: "dist.whl", length: 3, hashes: { sha256: hex(3) } },
    ], remove: [] }]).get("b")!;
    expect(d.state).toBe("published");
    expect(d.targets.map((t) => t.outcome)).toEqual(["superseded", "published"]);
    expect(repo.held.get("dist.whl")!.current).not.toBeNull();
  });

  it("an upload that would push a bin past the bound is rejected whole, with the reason", () => {
    const path = "big";
    const view = new Map([[path, { bin: "bins-0", current: null, removed: null }]]);
    const uploads: Upload[] = [{ id: "x", targets: [{ path, length: 1, hashes: { sha256: hex(1) } }], remove: [] }];
    const { decisions, changes } = decideUploads({ uploads, view, binBytes: new Map([["bins-0", MAX_BIN_BYTES - 10]]), refused: new Map() });
    expect(decisions.get("x")!.state).toBe("rejected");
    expect(decisions.get("x")!.rejected[0]!.reason).toMatch(/past the bound/);
    expect(changes.size).toBe(0);
  });
});
