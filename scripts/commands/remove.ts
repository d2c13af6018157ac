import type { Command } from "../cli.js";
import { parseOptions, required } from "../lib/args.js";
import { UsageError } from "../lib/errors.js";
import { WEBHOOK_OPTIONS, WEBHOOK_USAGE, checkBody, parseSerial, reportUpload, sendWebhook, webhookTarget } from "../lib/upload.js";

const usage = `Usage: tuf-edge remove [--url URL] --path TARGET... [--serial N] [--secret-env WEBHOOK_SECRET] [--wait] [--json]

Revokes targets: sends {"remove": [TARGET, …]} to the upload webhook (POST URL/v1/uploads),
signed with HMAC-SHA256 of the webhook secret. Once published, clients no longer find them.
A removal lasts: a path published without a serial is never published again, whatever is
re-delivered or replayed (publish fixed bytes under a new file name, as on PyPI). A mutable target
is removed with --serial N: it keeps N, so an update with a serial up to N cannot bring it back.
The file host's copy is not touched: delete it there too (e.g. \`wrangler r2 object delete BUCKET/TARGET --remote\`).

Options:
  --path TARGET     a target path to remove (repeatable)
  --serial N        remove a mutable target as of serial N (one --path only)
${WEBHOOK_USAGE}`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, { ...WEBHOOK_OPTIONS, path: { type: "string", multiple: true }, serial: { type: "string" } }, usage);
    const paths = required(values.path, "--path");
    const serial = parseSerial(values.serial);
    if (serial !== undefined && paths.length !== 1) throw new UsageError("--serial applies to one --path; send one removal per mutable target");
    const { url, secret } = webhookTarget(values, io);
    const body = JSON.stringify({ remove: serial === undefined ? paths : [{ path: paths[0], serial }] });
    checkBody(body, (e) => `--path: ${e.message}`);
    await reportUpload(io, url, await sendWebhook(url, secret, body), values.wait === true, values.json === true);
  },
};
export default command;
