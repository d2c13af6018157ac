/** A value that failed validation, with the path of the offending field (`signed.roles.root`). */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(field ? `${field}: ${reason}` : reason);
    this.name = "FieldError";
  }
}

/** Metadata that a TUF client would refuse: bad signature, rollback, expired, wrong hash, ... */
export class VerificationError extends Error {
  constructor(
    readonly kind:
      | "signature"
      | "threshold"
      | "rollback"
      | "expired"
      | "version"
      | "hash"
      | "length"
      | "missing"
      | "invalid",
    message: string,
  ) {
    super(message);
    this.name = "VerificationError";
  }
}
