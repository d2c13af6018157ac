import type { Env } from "../env.js";
import type { QueueMessage } from "./messages.js";

/**
 * The sequencer's inbox as the rest of the Worker sees it (the object itself is
 * worker/publish/sequencer.ts): whether it is the writer, moving a queue batch in, and its status.
 */

/** The one sequencer's name. */
const NAME = "sequencer";

/** Whether the writer is the sequencer (WRITER="sequencer", the default wherever the binding exists). */
export const sequencerOn = (env: Env): boolean => env.SEQUENCER !== undefined && (env.WRITER ?? "sequencer") === "sequencer";

const stubOf = (env: Env) => env.SEQUENCER!.get(env.SEQUENCER!.idFromName(NAME));

/** The queue consumer's side: the batch's messages into the sequencer's inbox (throws if it did not take them). */
export async function forwardToSequencer(env: Env, bodies: readonly QueueMessage[]): Promise<void> {
  const res = await stubOf(env).fetch("https://sequencer/inbox", { method: "POST", body: JSON.stringify(bodies) });
  if (!res.ok) throw new Error(`the sequencer did not take the batch: ${res.status} ${await res.text()}`);
}

/** What GET /v1/status shows of the sequencer. */
export interface SequencerStatus {
  /** Messages in the inbox, and how many of them are due now. */
  readonly backlog: number;
  readonly due: number;
  /** When the oldest message in the inbox arrived, ISO; null when it is empty. */
  readonly oldest: string | null;
  /** Messages delivered more than once and still waiting (each retry is a failed attempt). */
  readonly retrying: number;
  /** Admin job steps waiting in the inbox. */
  readonly jobSteps: number;
  /** The last alarm: when it started, how long it took, how many messages it delivered. */
  readonly lastAlarm: { readonly at: string; readonly ms: number; readonly messages: number; readonly error?: string } | null;
  /** The commit under way now (its alarm started, not finished): when, and how many messages; null when idle. */
  readonly inProgress: { readonly at: string; readonly messages: number } | null;
  /** When the next alarm is due, ISO; null when none is set. */
  readonly nextAlarm: string | null;
}

export async function sequencerStatus(env: Env): Promise<SequencerStatus> {
  const res = await stubOf(env).fetch("https://sequencer/status");
  if (!res.ok) throw new Error(`sequencer status: ${res.status}`);
  return (await res.json()) as SequencerStatus;
}

