import { DelegatedRole } from "../../../shared/index.js";
import type { Command } from "../../cli.js";
import { parseOptions, secretFromEnv } from "../../lib/args.js";
import { CliError, UsageError } from "../../lib/errors.js";
import { type Answer, postAdmin, request } from "../../lib/http.js";
import { pollUntil } from "../../lib/poll.js";
import { claimOf } from "../../lib/project-ceremony.js";
import { projectStatus, readProjectFile, replaceProjectFile } from "../../lib/project-file.js";
import { repositoryUrl } from "../../lib/repository-url.js";

const usage = `Usage: tuf-edge project claim FILE [--replace] [--url URL] [--token-env ADMIN_TOKEN]

For the index's operator: hands a project over to its maintainers (PEP 480). FILE is the role
file they made and signed (\`tuf-edge project init\`, \`add\`, \`sign\`): it names their public
keys, how many of them must sign, the file names the project covers, and the project's first
signed role. This sends them to POST URL/v1/admin/claims, then waits until the index has
published the claim, or says why it refused it.

From then on installers accept the project's files only as its maintainers sign them: the
index's online key can no longer add or change them. The claim is listed at once in
recently-claimed; the next \`tuf-edge ceremony claims\` moves it into claimed.

Before you run it, make sure through a channel you trust that the keys in FILE are the
maintainers' (compare the keyids \`tuf-edge project status FILE\` shows): whoever holds them
controls the project's files.

Options:
  --replace        the project is claimed already, since the last claims ceremony: give the claim
                   FILE's keys instead (after \`tuf-edge project rekey\`); the old keys stop
                   working at the next commit. A claim in claimed changes at a ceremony instead
                   (\`tuf-edge ceremony claims --rekey FILE\`)
  --url URL        the index (default: $TUF_EDGE_URL)
  --token-env VAR  environment variable holding the admin token (default ADMIN_TOKEN)
  -h, --help       show this help`;

interface UploadState {
  state?: string;
  rejected?: { path?: string; reason?: string }[];
  snapshotVersion?: number;
}

/** A refusal as one line: the index's reason, and the field it names. */
function refusal(answer: Answer): CliError {
  const body = (typeof answer.body === "object" && answer.body) || {};
  const { error, reason, field } = body as { error?: unknown; reason?: unknown; field?: unknown };
  const why = typeof error === "string" ? error : String(answer.body).slice(0, 500) || "(empty body)";
  const tags = [reason, field].filter((t) => typeof t === "string" && t).join(", ");
  return new CliError(`the index refused the claim (HTTP ${answer.status}): ${why}${tags ? ` [${tags}]` : ""}`);
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values, positionals } = parseOptions(args, { url: { type: "string" }, "token-env": { type: "string", default: "ADMIN_TOKEN" }, replace: { type: "boolean" } }, usage, true);
    if (positionals.length !== 1) throw new UsageError("give exactly one role FILE");
    const url = repositoryUrl(values.url, io);
    const file = positionals[0]!;
    const f = await readProjectFile(file);
    if (f.role.includes(".")) throw new CliError(`${file} is the role ${f.role}, delegated by the project's own role: claim the project with the file of ${f.role.split(".")[0]}`);
    // The claim the index will record, read back from the file: the same keys, threshold and patterns.
    const claim = claimOf(new DelegatedRole(f.role, Object.keys(f.keys), f.threshold, true, f.paths), f.keys, file);
    const st = projectStatus(f, Date.now());
    if (!st.complete) throw new CliError(`${f.role} v${st.version} has ${st.signedBy.length} of the ${st.threshold} signatures it needs (missing: ${st.missing.join(", ")}); the maintainers sign it first (tuf-edge project sign)`);
    if (st.expired) throw new CliError(`${f.role} v${st.version} expired at ${st.expires}; the maintainers renew it first (tuf-edge project renew)`);
    if (st.outside.length) throw new CliError(`${f.role} lists files it does not cover: ${st.outside.join(", ")}`);
    const token = secretFromEnv(io.env, values["token-env"], "the Worker's admin token", "--token-env");
    const body = {
      project: claim.project,
      keys: Object.fromEntries(claim.keys.map((k) => [k.keyid, k.toJSON()])),
      threshold: claim.threshold,
      ...(claim.namespace ? { namespace: true } : {}),
      ...(claim.spellings?.length ? { spellings: claim.spellings } : {}),
      ...(claim.pages ? { pages: true } : {}),
      role: f.metadata.toJSON(),
      ...(values.replace ? { replace: true } : {}),
    };
    const answer = await postAdmin(url, "/v1/admin/claims", body, token);
    if (!answer.ok) throw refusal(answer);
    const id = (answer.body as { id?: unknown } | null)?.id;
    if (typeof id !== "string") throw new CliError("the index's answer has no upload id");
    io.out(`accepted: the claim of ${f.role} (${st.threshold} of ${Object.keys(f.keys).length} maintainers' keys), upload ${id}`);
    io.out(`  covers: ${f.paths.join("  ")}`);
    const lookup = `${url}/v1/uploads/${encodeURIComponent(id)}`;
    const record = await pollUntil<UploadState>(`upload ${id}`, async () => {
      const state = await request(lookup);
      if (!state.ok) throw new CliError(`${lookup} answered HTTP ${state.status}`);
      const r = state.body as UploadState;
      return r.state === "queued" ? undefined : r;
    }, { onWait: (ms) => io.progress(`claim ${id} queued … ${Math.round(ms / 1000)}s`) });
    io.progress("");
    if (record.state !== "published") {
      const reasons = (record.rejected ?? []).map((r) => r.reason).filter(Boolean).join("; ");
      throw new CliError(`the claim of ${f.role} was ${record.state ?? "not published"}: ${reasons || `see ${lookup}`}`);
    }
    io.out(`published: ${f.role} v${st.version} is claimed (in recently-claimed until the next \`ceremony claims\`; snapshot v${record.snapshotVersion ?? "?"})`);
    if (f.pushedVersion < st.version) {
      await replaceProjectFile(file, { ...f, pushedVersion: st.version });
      io.out(`recorded in ${file} that v${st.version} is published: hand it back to the maintainers, whose next change makes v${st.version + 1}`);
    }
  },
};
export default command;
