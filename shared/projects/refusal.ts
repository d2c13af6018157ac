/**
 * Why a claim, a sub-delegation or a pushed project role is refused: a value the Worker turns into
 * a 400 naming the reason, and the CLI into one line. `subject` names the offending path, pattern or
 * field when there is one.
 */
export type ProjectRefusalReason =
  | "malformed"
  | "covers-other-project"
  | "overlaps-claim"
  | "outside-parent"
  | "threshold"
  | "version"
  | "expired"
  | "expires-too-far"
  | "target-outside-patterns"
  | "delegation-outside-patterns"
  | "role-name";

export class ProjectRefusal extends Error {
  override readonly name = "ProjectRefusal";

  constructor(
    readonly reason: ProjectRefusalReason,
    message: string,
    readonly subject?: string,
  ) {
    super(message);
  }

  toJSON() {
    return { reason: this.reason, message: this.message, ...(this.subject === undefined ? {} : { subject: this.subject }) };
  }
}
