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

/**
 * Runs `make` (usually a constructor, whose FieldErrors name fields relative to the object) and
 * puts `field` in front of those relative names, so the error names the field in the whole file.
 */
export function withinField<T>(field: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof FieldError) || e.field.startsWith(field)) throw e;
    throw new FieldError(e.field ? `${field}.${e.field}` : field, e.reason);
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
