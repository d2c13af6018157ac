import { createHmac, createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata } from "../../shared/index.js";
import { extractEnvelope, initCeremony, keygen, pub, readJson, sign } from "./fixtures.js";
import { json, runCli, startServer } from "./helpers.js";

describe("commands that call the Worker (against a stub on 127.0.0.1)", () => {
  let dir: string;
  let keys: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tuf-edge-http-"));
    keys = await keygen(dir, "root1", "root2", "root3", "targets1", "online1", "online2");
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("bootstrap POSTs root and targets with the bearer token; 202 passes, 409 fails with the server's error", async () => {
    const { file } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    let status = 202;
    const server = await startServer((_req, res) =>
      status === 202 ? json(res, 202, { job: "j1", kind: "bootstrap", steps: 3, bins: 16384 }) : json(res, 409, { error: "a repository is published already" }),
    );
    try {
      const ok = await runCli(["bootstrap", "--url", `${server.url}/`, "--file", file], { ADMIN_TOKEN: "s3cret" });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('"job": "j1"');
      const [req] = server.requests;
      expect(req!.method).toBe("POST");
      expect(req!.url).toBe("/v1/admin/bootstrap");
      expect(req!.headers.authorization).toBe("Bearer s3cret");
      expect(req!.headers["content-type"]).toBe("application/json");
      const body = JSON.parse(req!.body);
      expect(Object.keys(body).sort()).toEqual(["root", "targets"]);
      const ceremony = await readJson(file);
      expect(body.root).toEqual(ceremony.root);
      expect(body.targets).toEqual(ceremony.targets);
      expect(Metadata.fromJSON(body.root, "root").signed.version).toBe(1);

      status = 409;
      const conflict = await runCli(["bootstrap", "--url", server.url, "--file", file, "--token-env", "TOKEN"], { TOKEN: "s3cret" });
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toBe(`tuf-edge bootstrap: ${server.url}/v1/admin/bootstrap answered HTTP 409: a repository is published already`);
    } finally {
      await server.close();
    }
  });

  it("bootstrap --wait polls the status until the repository is published", async () => {
    const { file } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    let polls = 0;
    const server = await startServer((req, res) => {
      if (req.method === "POST") return json(res, 202, { job: "j" });
      json(res, 200, ++polls < 2 ? { published: false, job: { id: "j", done: 0 } } : { published: true, job: { id: "j", finished: "now" } });
    });
    try {
      const r = await runCli(["bootstrap", "--url", server.url, "--file", file, "--wait"], { ADMIN_TOKEN: "t" });
      expect(r.code, r.stderr).toBe(0);
      expect(server.requests.slice(1).map((q) => q.url)).toEqual(["/v1/status", "/v1/status"]);
      expect(r.stdout).toContain("timestamp.json is served");
    } finally {
      await server.close();
    }
  });

  it("bootstrap --wait ends with the job's reason when the job fails (the Worker does not hold the online key, say)", async () => {
    const { file } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    const error = "refused: root.signed.roles.timestamp.keyids: must list the Worker's online key (ab) for its threshold of 1";
    const server = await startServer((req, res) => {
      if (req.method === "POST") return json(res, 202, { job: "j" });
      json(res, 200, { published: false, job: { id: "j", finished: "now", error } });
    });
    try {
      const r = await runCli(["bootstrap", "--url", server.url, "--file", file, "--wait"], { ADMIN_TOKEN: "t" });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`tuf-edge bootstrap: the bootstrap job failed: ${error}`);
    } finally {
      await server.close();
    }
  });

  it("bootstrap sends nothing without every threshold, without a token, or to nowhere", async () => {
    const { file } = await initCeremony(dir, keys, ["root1", "targets1"]);
    const server = await startServer((_req, res) => json(res, 202, {}));
    try {
      const short = await runCli(["bootstrap", "--url", server.url, "--file", file], { ADMIN_TOKEN: "t" });
      expect(short.code).toBe(1);
      expect(short.stderr).toContain("not enough signatures: root v1 lacks 1 of its own root keys");
      await sign(file, keys.root3!);
      const noToken = await runCli(["bootstrap", "--url", server.url, "--file", file], {});
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toContain("ADMIN_TOKEN");
      expect(server.requests).toHaveLength(0);
    } finally {
      await server.close();
    }
    const down = await runCli(["bootstrap", "--url", server.url, "--file", file], { ADMIN_TOKEN: "t" });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach .*ECONNREFUSED/);
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });

  it("rotate POSTs root N+1 and targets M+1 to /v1/admin/root; targets POSTs to /v1/admin/targets", async () => {
    const { file: init } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    const root1 = await extractEnvelope(init, "root", join(dir, "h1.root.json"));
    const targets1 = await extractEnvelope(init, "targets", join(dir, "h1.targets.json"));
    const rotation = join(dir, "h-rotate.json");
    const made = await runCli(["ceremony", "rotate", "--from-root", root1, "--from-targets", targets1, "--online-key", pub(keys.online2!), "--out", rotation]);
    expect(made.code, made.stderr).toBe(0);
    for (const k of ["root1", "root2", "targets1"]) await sign(rotation, keys[k]!);
    const renewal = join(dir, "h-renew.json");
    expect((await runCli(["ceremony", "targets", "--root", root1, "--from-targets", targets1, "--out", renewal])).code).toBe(0);
    await sign(renewal, keys.targets1!);

    const server = await startServer((req, res) => (req.url === "/v1/admin/root" ? json(res, 202, { job: "r" }) : json(res, 400, { error: "bad", field: "targets" })));
    try {
      const r = await runCli(["rotate", "--url", server.url, "--file", rotation], { ADMIN_TOKEN: "t" });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^accepted: root v2 and targets v2, job r \(publish\)$/m);
      expect(r.stdout).not.toContain("{");
      const body = JSON.parse(server.requests[0]!.body);
      expect(server.requests[0]!.url).toBe("/v1/admin/root");
      expect(body.root.signed.version).toBe(2);
      expect(body.targets.signed.version).toBe(2);

      const t = await runCli(["targets", "--url", server.url, "--file", renewal], { ADMIN_TOKEN: "t" });
      expect(t.code).toBe(1);
      expect(t.stderr).toContain('answered HTTP 400: bad {"field":"targets"}');
      expect(server.requests[1]!.url).toBe("/v1/admin/targets");
      expect(Object.keys(JSON.parse(server.requests[1]!.body))).toEqual(["targets"]);
      expect(JSON.parse(server.requests[1]!.body).targets).toEqual((await readJson(renewal)).targets);
    } finally {
      await server.close();
    }
  });

  it("rotate and targets --wait follow the job to its end: versions when it published, the reason when it failed", async () => {
    const { file: init } = await initCeremony(dir, keys, ["root1", "root2", "targets1"]);
    const root1 = await extractEnvelope(init, "root", join(dir, "w1.root.json"));
    const targets1 = await extractEnvelope(init, "targets", join(dir, "w1.targets.json"));
    const renewal = join(dir, "w-renew.json");
    expect((await runCli(["ceremony", "targets", "--root", root1, "--from-targets", targets1, "--out", renewal])).code).toBe(0);
    await sign(renewal, keys.targets1!);
    let polls = 0;
    let fail = false;
    const server = await startServer((req, res) => {
      if (req.url === "/v1/admin/targets") return json(res, 202, { job: "j1", kind: "publish", steps: 2 });
      polls++;
      const job = polls < 3 ? { id: "j1", done: polls - 1, steps: 2 } : fail ? { id: "j1", done: 1, steps: 2, finished: "x", error: "refused: targets: expired" } : { id: "j1", done: 2, steps: 2, finished: "x" };
      json(res, 200, { published: true, job, roles: { root: { version: 1 }, targets: { version: 2 } } });
    });
    try {
      const ok = await runCli(["targets", "--url", server.url, "--file", renewal, "--wait"], { ADMIN_TOKEN: "t" });
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain("accepted: targets v2, job j1 (publish, 2 steps)");
      expect(ok.stdout).toMatch(/^done: targets v2 published \(job j1, 2 steps\); now root v1, targets v2$/m);
      polls = 0;
      fail = true;
      const failed = await runCli(["targets", "--url", server.url, "--file", renewal, "--wait"], { ADMIN_TOKEN: "t" });
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain("the job j1 (targets v2) failed: refused: targets: expired");
      const raw = await runCli(["targets", "--url", server.url, "--file", renewal, "--json"], { ADMIN_TOKEN: "t" });
      expect(JSON.parse(raw.stdout)).toEqual({ job: "j1", kind: "publish", steps: 2 });
    } finally {
      await server.close();
    }
  });

  it("upload sends length, sha256 and an HMAC that createHmac reproduces", async () => {
    const local = join(dir, "example-1.0.tar.gz");
    const bytes = Buffer.from("pretend this is an sdist\n");
    await writeFile(local, bytes);
    const server = await startServer((_req, res) => json(res, 202, { id: "u1", accepted: 1 }));
    try {
      const path = "packages/ab/cd/ef/example-1.0.tar.gz";
      const before = Math.floor(Date.now() / 1000);
      const r = await runCli(["upload", "--url", server.url, "--path", path, "--file", local], { WEBHOOK_SECRET: "hook-secret" });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(`accepted: upload u1; its state: ${server.url}/v1/uploads/u1`);
      const req = server.requests[0]!;
      expect(req.url).toBe("/v1/uploads");
      expect(JSON.parse(req.body)).toEqual({
        targets: [{ path, length: bytes.length, hashes: { sha256: createHash("sha256").update(bytes).digest("hex") } }],
      });
      const ts = req.headers["x-webhook-timestamp"] as string;
      expect(Number(ts)).toBeGreaterThanOrEqual(before);
      expect(req.headers["x-webhook-signature"]).toBe(`sha256=${createHmac("sha256", "hook-secret").update(`${ts}.${req.body}`).digest("hex")}`);

      const bad = await runCli(["upload", "--url", server.url, "--path", "../escape", "--file", local], { WEBHOOK_SECRET: "x" });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("not a valid target path");
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("upload --wait polls the upload until it is published", async () => {
    const local = join(dir, "w.whl");
    await writeFile(local, "w");
    let polls = 0;
    const server = await startServer((req, res) => {
      if (req.method === "POST") return json(res, 202, { id: "u2", accepted: 1 });
      polls++;
      json(res, 200, polls < 2 ? { state: "queued" } : { state: "published", snapshot: 7 });
    });
    try {
      const r = await runCli(["upload", "--url", server.url, "--path", "p/w.whl", "--file", local, "--wait"], { WEBHOOK_SECRET: "x" });
      expect(r.code, r.stderr).toBe(0);
      expect(server.requests.at(-1)!.url).toBe("/v1/uploads/u2");
      expect(r.stdout).toContain('"state": "published"');
    } finally {
      await server.close();
    }
  });

  it("remove sends a signed removal; TUF_EDGE_URL stands in for --url", async () => {
    const server = await startServer((_req, res) => json(res, 202, { id: "u3", accepted: 2 }));
    try {
      const r = await runCli(["remove", "--path", "p/a.whl", "--path", "p/b.whl", "--json"], { WEBHOOK_SECRET: "s", TUF_EDGE_URL: server.url });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ id: "u3", accepted: 2, lookup: `${server.url}/v1/uploads/u3` });
      const req = server.requests[0]!;
      expect(JSON.parse(req.body)).toEqual({ remove: ["p/a.whl", "p/b.whl"] });
      const ts = req.headers["x-webhook-timestamp"] as string;
      expect(req.headers["x-webhook-signature"]).toBe(`sha256=${createHmac("sha256", "s").update(`${ts}.${req.body}`).digest("hex")}`);
    } finally {
      await server.close();
    }
  });

  it("upload --serial stores the bytes first (PUT /v1/content/{sha256}, signed), then sends the serial", async () => {
    const local = join(dir, "vnd.pypi.simple.v1.html");
    const bytes = Buffer.from("<!DOCTYPE html><html><body>a page</body></html>\n");
    await writeFile(local, bytes);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const server = await startServer((req, res) => (req.method === "PUT" ? json(res, 201, { sha256 }) : json(res, 202, { id: "u4", accepted: 1 })));
    try {
      const path = "simple/demo/vnd.pypi.simple.v1.html";
      const r = await runCli(["upload", "--url", server.url, "--path", path, "--file", local, "--serial", "0"], { WEBHOOK_SECRET: "s" });
      expect(r.code, r.stderr).toBe(0);
      const [put, post] = server.requests;
      expect([put!.method, put!.url]).toEqual(["PUT", `/v1/content/${sha256}`]);
      expect(put!.body).toBe(bytes.toString());
      const ts = put!.headers["x-webhook-timestamp"] as string;
      expect(put!.headers["x-webhook-signature"]).toBe(`sha256=${createHmac("sha256", "s").update(`${ts}.`).update(bytes).digest("hex")}`);
      expect(JSON.parse(post!.body)).toEqual({ targets: [{ path, length: bytes.length, hashes: { sha256 }, serial: 0 }] });

      // Refused bytes stop it before the webhook.
      const refused = await startServer((_req, res) => json(res, 401, { error: "bad signature" }));
      try {
        const no = await runCli(["upload", "--url", refused.url, "--path", path, "--file", local, "--serial", "3"], { WEBHOOK_SECRET: "s" });
        expect(no.code).toBe(1);
        expect(no.stderr).toContain("answered HTTP 401");
        expect(refused.requests.map((q) => q.method)).toEqual(["PUT"]);
      } finally {
        await refused.close();
      }
      for (const bad of ["-1", "1.5", "9007199254740992", "x"]) {
        const u = await runCli(["upload", "--url", server.url, "--path", path, "--file", local, `--serial=${bad}`], { WEBHOOK_SECRET: "s" });
        expect(u.code).toBe(2);
        expect(u.stderr).toContain("--serial must be a whole number");
      }
      expect(server.requests).toHaveLength(2);
    } finally {
      await server.close();
    }
  });

  it("remove --serial sends {path, serial}, for one path only", async () => {
    const server = await startServer((_req, res) => json(res, 202, { id: "u5", accepted: 1 }));
    try {
      const path = "simple/demo/vnd.pypi.simple.v1.json";
      const r = await runCli(["remove", "--url", server.url, "--path", path, "--serial", "42"], { WEBHOOK_SECRET: "s" });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(server.requests[0]!.body)).toEqual({ remove: [{ path, serial: 42 }] });
      const two = await runCli(["remove", "--url", server.url, "--path", path, "--path", "p/b.whl", "--serial", "42"], { WEBHOOK_SECRET: "s" });
      expect(two.code).toBe(2);
      expect(two.stderr).toContain("--serial applies to one --path");
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it("never sends the admin token over plain http:// to another host", async () => {
    for (const command of ["bootstrap", "rotate", "targets", "import"]) {
      const input = command === "import" ? [join(dir, "none.jsonl")] : ["--file", join(dir, "none.json")];
      const r = await runCli([command, "--url", "http://tuf.example.org", ...input], { ADMIN_TOKEN: "t" });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`tuf-edge ${command}: refusing to send a secret over plain http:// to tuf.example.org; use https:// (http:// is for 127.0.0.1 and localhost only)`);
    }
  });

  it("--version prints the package version", async () => {
    const r = await runCli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `tuf-edge ${JSON.parse(await readFile(join(import.meta.dirname, "../../package.json"), "utf8")).version}` });
  });

  it("status prints /v1/status readably, with time left beside expiries", async () => {
    const expires = new Date(Date.now() + 5 * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const body = { published: true, roles: { timestamp: { version: 12, expires } }, onlineKeys: ["ab", "cd"] };
    const server = await startServer((_req, res) => json(res, 200, body));
    try {
      const r = await runCli(["status", "--url", server.url]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("published: true");
      expect(r.stdout).toMatch(/ {4}version: 12\n {4}expires: \S+ \(in 4h [0-5]\dm\)/); // five hours from a moment ago
      expect(r.stdout).toContain("onlineKeys: ab, cd");
      const raw = await runCli(["status", "--url", server.url, "--json"]);
      expect(JSON.parse(raw.stdout)).toEqual(body);
    } finally {
      await server.close();
    }
  });
});
