import { assertSafeForSecrets } from "../lib/http.js";
import type { Command } from "../cli.js";
import { SUBMIT_OPTIONS, parseOptions, required, secretFromEnv } from "../lib/args.js";
import { repositoryUrl } from "../lib/repository-url.js";
import { CEREMONY_FORMAT, parseCeremony } from "../lib/ceremony.js";
import { assertComplete, listed } from "../lib/signoff.js";
import { CliError, UsageError } from "../lib/errors.js";
import { projectStatus, readProjectFile } from "../lib/project-file.js";
import { postAdmin } from "../lib/http.js";
import { reportJob } from "../lib/admin-job.js";
import { readJsonFile } from "../lib/keyfile.js";
import { FieldError, Metadata } from "../../shared/index.js";
import { CLAIMED } from "../../shared/projects/index.js";

const usage = `Usage: tuf-edge targets [--url URL] --file FILE [--role ROLEFILE...] [--token-env ADMIN_TOKEN] [--wait] [--json]

Publishes what a targets ceremony signed: POST URL/v1/admin/targets. FILE is a signed ceremony
file (every threshold is checked here first, role by role):
  from \`ceremony targets\`: a new targets version, sent as {"targets"}
  from \`ceremony layout\`:  targets M+1 with claimed v1 and unclaimed v1 (the move to PEP 480),
                           sent as {"targets", "roles": {"claimed", "unclaimed"}}
  from \`ceremony claims\`:  claimed N+1 and its parts, sent as {"roles": {"claimed", "claimed-…"}}
or a signed targets envelope made some other way (then only the Worker checks it).

Options:
  --url URL        the Worker's base URL (default: $TUF_EDGE_URL)
  --file FILE      the ceremony file or targets envelope
  --role ROLEFILE  with a claims ceremony that gives a project new keys (\`ceremony claims
                   --rekey\`): the project's role file, its next version signed by the new keys,
                   sent beside the ceremony's roles; repeat for each such project
  --token-env VAR  environment variable holding the admin token (default ADMIN_TOKEN)
  --wait           wait until the job has published (progress on stderr); a job that fails ends
                   the wait with its reason (exit 1)
  --json           print the Worker's answer as JSON
  -h, --help       show this help`;

/** The ceremony kinds this command publishes. */
const KINDS = ["targets", "layout", "claims"];

/** The request body, and what it publishes in words (`targets v3, claimed v1 and unclaimed v1`). */
async function readRequest(file: string): Promise<{ body: Record<string, unknown>; what: string }> {
  const json = await readJsonFile(file);
  if ((json as { format?: unknown } | null)?.format === CEREMONY_FORMAT) {
    const ceremony = parseCeremony(json, file);
    if (!KINDS.includes(ceremony.kind)) throw new CliError(`${file} is a ${ceremony.kind} ceremony; targets publishes a targets, layout or claims ceremony`);
    assertComplete(ceremony);
    const roles = [...(ceremony.roles ?? [])];
    const parts = roles.filter(([name]) => name.startsWith(`${CLAIMED}-`));
    const what = [
      ...(ceremony.targets ? [`targets v${ceremony.targets.signed.version}`] : []),
      ...roles.filter(([name]) => !name.startsWith(`${CLAIMED}-`)).map(([name, m]) => `${name} v${m.signed.version}`),
      ...(parts.length ? [`${parts.length} part${parts.length === 1 ? "" : "s"} of claimed`] : []),
    ];
    const body = {
      ...(ceremony.targets ? { targets: ceremony.targets.toJSON() } : {}),
      ...(roles.length ? { roles: Object.fromEntries(roles.map(([name, m]) => [name, m.toJSON()])) } : {}),
    };
    return { body, what: listed(what) };
  }
  try {
    const targets = Metadata.fromJSON(json, "targets");
    return { body: { targets: targets.toJSON() }, what: `targets v${targets.signed.version}` };
  } catch (e) {
    if (e instanceof FieldError) throw new CliError(`${file} is neither a ceremony file nor targets metadata: ${e.message}`);
    throw e;
  }
}

/** Project roles signed by a rekeyed claim's new keys, sent beside a claims ceremony's roles. */
async function withProjectRoles(request: { body: Record<string, unknown>; what: string }, files: readonly string[]) {
  if (files.length === 0) return request;
  if (!request.body.roles) throw new UsageError("--role goes with a claims ceremony (ceremony claims --rekey)");
  const roles = { ...(request.body.roles as Record<string, unknown>) };
  const names: string[] = [];
  for (const file of files) {
    const f = await readProjectFile(file);
    const st = projectStatus(f, Date.now());
    if (!st.complete) throw new CliError(`${file}: ${f.role} v${st.version} has ${st.signedBy.length} of the ${st.threshold} signatures it needs (missing: ${st.missing.join(", ")})`);
    if (f.role.includes(".")) throw new CliError(`${file} is ${f.role}, under a project's role: only a claim's own role goes with a ceremony`);
    roles[f.role] = f.metadata.toJSON();
    names.push(`${f.role} v${st.version}`);
  }
  return { body: { ...request.body, roles }, what: `${request.what}, with ${names.join(", ")}` };
}

const command: Command = {
  usage,
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...SUBMIT_OPTIONS,
      wait: { type: "boolean" },
      json: { type: "boolean" },
      role: { type: "string", multiple: true },
    }, usage);
    const url = repositoryUrl(values.url, io);
    assertSafeForSecrets(url);
    const request = await readRequest(required(values.file, "--file"));
    const { body, what } = await withProjectRoles(request, values.role ?? []);
    const token = secretFromEnv(io.env, values["token-env"], "the Worker's admin token", "--token-env");
    const answer = await postAdmin(url, "/v1/admin/targets", body, token);
    await reportJob(io, url, answer, what, { wait: values.wait, json: values.json });
  },
};
export default command;
