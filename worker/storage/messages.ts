/** What the UPLOADS queue carries. */
export type QueueMessage = UploadMessage | ProjectMessage | R2EventMessage | JobMessage;

/** A webhook upload; its body is stored at `uploads/<id>.json` (queue messages are limited to 128 KB). */
export interface UploadMessage {
  readonly kind: "upload";
  readonly id: string;
}

/**
 * A claim or a pushed project role (PEP 480); its record, with the signed role, is at
 * `uploads/<id>.json`. `bytes` is the role's size: the writer takes project changes into a commit
 * up to a byte budget, before it reads any of them.
 */
export interface ProjectMessage {
  readonly kind: "project";
  readonly id: string;
  readonly bytes: number;
}

/** An R2 event notification on the PACKAGES bucket, in the shape Cloudflare sends. */
export interface R2EventMessage {
  readonly kind?: undefined;
  readonly account: string;
  readonly action: string;
  readonly bucket: string;
  readonly object: { readonly key: string; readonly size?: number; readonly eTag?: string };
  readonly eventTime: string;
}

/** Admin work done by the single writer in bounded steps (bootstrap, re-sign, rotation). */
export interface JobMessage {
  readonly kind: "job";
  readonly job: string;
  readonly step: number;
}
