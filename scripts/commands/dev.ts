import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { toHex } from "../../shared/encoding.js";
import { ed25519Signer, randomSeed, seedFromHex, type Signer } from "../../shared/keys.js";
import type { Command } from "../cli.js";
import { parseOptions, parsePositiveInt } from "../lib/args.js";
import { bootstrapRepository, devCeremony, getJson } from "../lib/dev-repo.js";
import { CliError } from "../lib/errors.js";
import { decryptKeyFile, encryptSeed, publicKeyJSON, readKeyFileJSON } from "../lib/keyfile.js";
import { ROOT } from "../lib/local-worker.js";
import { pollUntil } from "../lib/poll.js";
import { declaredCrons, runDeclaredCrons } from "../lib/dev-cron.js";
import { filterWranglerOutput } from "../lib/dev-log.js";

const usage = `Usage: tuf-edge dev [--port 8787] [--bits 14] [--no-bootstrap] [--log-requests]   (npm start)

Runs a local repository: \`wrangler dev\` on http://127.0.0.1:PORT with R2 and Queues in local
state (.wrangler/state), and runs the cron on the schedule that wrangler.toml declares (once at
start, then every 5 minutes), so the repository renews itself like a deployed one.
The first run creates, and later runs reuse:
  .dev.vars    random ONLINE_KEY, WEBHOOK_SECRET and ADMIN_TOKEN (git-ignored)
  .dev-keys/   DEV-ONLY offline root and targets keys, passphrase "${"dev-only"}" (git-ignored)
and bootstraps the repository (root v1, targets, 2^bits bins, snapshot, timestamp).

The request log of metadata reads (GET /metadata/…, a verify makes one per bin) is left out.

Options:
  --port N          port to listen on (default 8787)
  --bits N          hashed bins = 2^N, for a new repository (default 14, as PEP 458)
  --no-bootstrap    do not bootstrap with the dev keys: rehearse your own key ceremony against
                    the local Worker (its online public key is .dev-keys/online.pub.json)
  --log-requests    show every request wrangler logs, metadata reads too
  -h, --help        show this help`;

const DEV_PASSPHRASE = "dev-only";

/** One clear line instead of workerd's stack trace when another process has the port. */
async function assertPortFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRINUSE" ? new CliError(`port ${port} on 127.0.0.1 is taken (another \`npm start\`?): stop it, or use --port N`) : e),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

function devVars(file: string): Record<string, string> {
  if (!existsSync(file)) {
    const fresh = { ONLINE_KEY: toHex(randomSeed()), WEBHOOK_SECRET: toHex(randomSeed()), ADMIN_TOKEN: toHex(randomSeed()) };
    writeFileSync(file, `${Object.entries(fresh).map(([k, v]) => `${k}=${v}`).join("\n")}\n`, { mode: 0o600 });
  }
  const vars = Object.fromEntries(
    readFileSync(file, "utf8").split("\n").filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1).trim()]),
  );
  for (const name of ["ONLINE_KEY", "WEBHOOK_SECRET", "ADMIN_TOKEN"]) {
    if (!vars[name]) throw new CliError(`${file} has no ${name}; delete the file to have a fresh one made`);
  }
  return vars;
}

/** A dev-only key: created on the first run, then read back. Never use these for a real repository. */
async function devKey(dir: string, name: string): Promise<Signer> {
  const file = join(dir, `${name}.key.json`);
  if (!existsSync(file)) {
    const keyFile = await encryptSeed(randomSeed(), DEV_PASSPHRASE, { N: 2 ** 14, r: 8, p: 1 });
    writeFileSync(file, `${JSON.stringify(keyFile, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(`${file}.pub.json`, `${JSON.stringify(keyFile.key, null, 2)}\n`);
  }
  return decryptKeyFile(readKeyFileJSON(JSON.parse(readFileSync(file, "utf8")), file), DEV_PASSPHRASE);
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, { port: { type: "string" }, bits: { type: "string" }, "no-bootstrap": { type: "boolean" }, "log-requests": { type: "boolean" } }, usage);
    const port = parsePositiveInt(values.port, "--port") ?? 8787;
    const bits = parsePositiveInt(values.bits, "--bits") ?? 14;
    const vars = devVars(join(ROOT, ".dev.vars"));
    const keyDir = join(ROOT, ".dev-keys");
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(keyDir, "README"), "DEV-ONLY keys made by `npm start`, passphrase \"dev-only\". Never use them for a real repository.\n");
    const [root, targets] = [await devKey(keyDir, "root"), await devKey(keyDir, "targets")];

    const url = `http://127.0.0.1:${port}`;
    await assertPortFree(port);
    const wrangler = spawn(
      process.execPath,
      [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", String(port), "--test-scheduled", "--show-interactive-dev-session=false", "--inspector-port", String(port + 10000), "--var", "DEV_MODE:true"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
    );
    filterWranglerOutput(wrangler.stdout!, process.stdout, values["log-requests"] === true);
    filterWranglerOutput(wrangler.stderr!, process.stderr, values["log-requests"] === true);
    const exited = new Promise<number>((resolve) => wrangler.on("exit", (code) => resolve(code ?? 1)));
    let stopCrons = () => {};
    const stop = () => {
      stopCrons();
      wrangler.kill("SIGTERM");
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);

    const ready = await Promise.race([
      pollUntil("the local Worker to answer", async () => {
        try {
          return await getJson(`${url}/v1/status`);
        } catch {
          return undefined;
        }
      }, { timeoutMs: 120_000, intervalMs: 500 }),
      exited.then((code) => {
        throw new CliError(`wrangler dev exited (${code}) before the Worker answered`);
      }),
    ]);
    const online = (await ed25519Signer(seedFromHex(vars.ONLINE_KEY!))).key;
    // The public half of .dev.vars' ONLINE_KEY, for `ceremony init --online-key` in a rehearsal.
    writeFileSync(join(keyDir, "online.pub.json"), publicKeyJSON(online));
    const rehearsal = values["no-bootstrap"] === true && !ready.published && !(ready.job && !ready.job.finished);
    if (!ready.published && !rehearsal) {
      if (ready.job && !ready.job.finished) io.out(`a bootstrap is under way (${ready.job.done}/${ready.job.steps} steps); waiting for it`);
      else io.out(`bootstrapping a new repository with ${2 ** bits} bins (dev keys in .dev-keys/) ...`);
      const started = Date.now();
      if (!ready.job || ready.job.finished) {
        await bootstrapRepository(url, vars.ADMIN_TOKEN!, await devCeremony(online, bits, [root], [targets]));
      } else {
        await pollUntil("the bootstrap", async () => ((await getJson(`${url}/v1/status`)).published ? true : undefined), { timeoutMs: 600_000 });
      }
      io.out(`published in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    const crons = declaredCrons(join(ROOT, "wrangler.toml"));
    stopCrons = runDeclaredCrons(url, crons, (line) => io.err(line));
    const rehearse = [
      "",
      "No repository yet (--no-bootstrap): rehearse your own key ceremony against it (README, step 3):",
      "  npx tuf-edge keygen --out alice.key --name alice        # and the other root and targets keys",
      `  npx tuf-edge ceremony init --root-key alice.key.pub.json --root-threshold 1 --targets-key targets.key.pub.json \\`,
      `      --targets-threshold 1 --online-key .dev-keys/online.pub.json --bits ${bits} --out ceremony.json`,
      "  npx tuf-edge ceremony sign ceremony.json --key alice.key   # then with targets.key",
      "  ADMIN_TOKEN=$(grep ADMIN_TOKEN .dev.vars | cut -d= -f2) npx tuf-edge bootstrap --file ceremony.json --wait",
      "(The state is kept in .wrangler/state: delete that folder to start over.)",
    ];
    io.out(
      [
        "",
        `tuf-edge is serving ${rehearsal ? "a local Worker with no repository yet" : "a local repository"} at ${url}`,
        `  metadata   ${url}/metadata/timestamp.json   (root: ${url}/metadata/1.root.json)`,
        `  status     ${url}/   and   ${url}/v1/status`,
        `  secrets    .dev.vars (ONLINE_KEY, WEBHOOK_SECRET, ADMIN_TOKEN); dev-only offline keys in .dev-keys/`,
        "",
        `In another terminal: export TUF_EDGE_URL=${url}`,
        ...(rehearsal ? rehearse : []),
        "Publish the example wheel (the Worker hashes the stored bytes; the answer's id is the upload's):",
        '  curl -X PUT -H "Authorization: Bearer $(grep ADMIN_TOKEN .dev.vars | cut -d= -f2)" --data-binary @examples/demo-0.1-py3-none-any.whl $TUF_EDGE_URL/v1/admin/files/packages/demo/demo-0.1-py3-none-any.whl',
        "  curl $TUF_EDGE_URL/v1/uploads/<id>                 (queued, published or rejected, and why)",
        "or announce a file the file host serves, through the signed webhook:",
        "  WEBHOOK_SECRET=$(grep WEBHOOK_SECRET .dev.vars | cut -d= -f2) npx tuf-edge upload --path packages/demo/FILE --file FILE --wait",
        "Verify it as an installer would:",
        "  curl -o 1.root.json $TUF_EDGE_URL/metadata/1.root.json && npx tuf-edge verify --root 1.root.json",
        `The cron (${crons.join(", ") || "none declared"}) runs on its schedule; to run it now:`,
        '  curl "$TUF_EDGE_URL/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*"',
        "",
        `Metadata reads are not logged here${values["log-requests"] ? " (shown: --log-requests)" : " (npm start -- --log-requests shows them)"}.`,
        "Ctrl-C stops it; the state stays in .wrangler/state for the next `npm start`.",
      ].join("\n"),
    );
    const code = await exited;
    stopCrons();
    if (code !== 0 && code !== null) throw new CliError(`wrangler dev exited with ${code}`);
  },
};
export default command;
