import { readFile } from "node:fs/promises";
import type { Command } from "../cli.js";
import { parseOptions, required } from "../lib/args.js";
import { CliError } from "../lib/errors.js";
import { WEBHOOK_OPTIONS, WEBHOOK_USAGE, checkBody, hashFile, parseSerial, putContent, reportUpload, sendWebhook, webhookTarget } from "../lib/upload.js";

/** What PUT /v1/content takes (contract.md). */
const MAX_CONTENT_BYTES = 16 * 1024 * 1024;

const usage = `Usage: tuf-edge upload [--url URL] --path TARGET --file LOCALFILE [--serial N]
         [--secret-env WEBHOOK_SECRET] [--wait] [--json]

Publishes a target: computes the length and sha256 of LOCALFILE and sends them for the target
path TARGET to the upload webhook (POST URL/v1/uploads), signed with HMAC-SHA256 of the webhook
secret. Without --serial the file itself is not sent: it must be (or will be) served by the file
host at that path, and the path is immutable. With --serial the target is mutable (a simple page,
say): its bytes (at most 16 MiB) are stored first with PUT URL/v1/content/{sha256}, and it replaces
the published version only if N is higher than that version's serial.
Prints the upload id; GET URL/v1/uploads/{id} says whether it was published or rejected, and why.

Options:
  --path TARGET     the target path, e.g. packages/ab/cd/…/example-1.0-py3-none-any.whl
  --file LOCALFILE  the local copy of the file
  --serial N        publish as a mutable target with serial N (e.g. the project's last_serial)
${WEBHOOK_USAGE}`;

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, { ...WEBHOOK_OPTIONS, path: { type: "string" }, file: { type: "string" }, serial: { type: "string" } }, usage);
    const path = required(values.path, "--path");
    const file = required(values.file, "--file");
    const serial = parseSerial(values.serial);
    const { url, secret } = webhookTarget(values, io);
    const { length, sha256 } = await hashFile(file);
    const body = JSON.stringify({ targets: [{ path, length, hashes: { sha256 }, ...(serial !== undefined && { serial }) }] });
    checkBody(body, (e) => `--path ${JSON.stringify(path)} is not a valid target path: ${e.reason}`);
    io.err(`${path}: ${length} bytes, sha256 ${sha256}${serial !== undefined ? `, serial ${serial}` : ""}`);
    if (serial !== undefined) {
      if (length > MAX_CONTENT_BYTES) throw new CliError(`${file} is ${length} bytes; a target with a serial holds at most ${MAX_CONTENT_BYTES} (16 MiB)`);
      await putContent(io, url, secret, new Uint8Array(await readFile(file)), sha256);
    }
    await reportUpload(io, url, await sendWebhook(url, secret, body), values.wait === true, values.json === true);
  },
};
export default command;
