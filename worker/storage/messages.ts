/** What the UPLOADS queue carries. */
export type QueueMessage = UploadMessage | R2EventMessage | JobMessage;

/** A webhook upload; its body is stored at `uploads/<id>.json` (queue messages are limited to 128 KB). */
export interface UploadMessage {
  readonly kind: "upload";
  readonly id: string;
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
