import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { gunzipSync } from "node:zlib";
import { BodyTooLarge } from "../../shared/bounded-body.js";

const agents = { "http:": new HttpAgent({ keepAlive: true, maxSockets: 32 }), "https:": new HttpsAgent({ keepAlive: true, maxSockets: 32 }) };

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Bytes of the body as they crossed the wire (before gunzip). */
  readonly wireLength: number;
}

/**
 * GET over node:http(s) with kept-alive connections, the body as one Buffer: a fraction of the
 * CPU of the global fetch (undici, web streams, a Response) per file, which counts when a monitor
 * fetches 16,384 bins. gzip asked for and decoded here, within `maxLength`: fewer bytes on the wire,
 * and a Worker then sends its stored gzip bytes as they are, instead of decompressing them for us.
 */
export function httpGet(target: string, signal?: AbortSignal | null, maxLength = Infinity, requestHeaders: Record<string, string> = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(target);
    const protocol = url.protocol as "http:" | "https:";
    if (!(protocol in agents)) return reject(new TypeError(`unsupported protocol ${url.protocol}`));
    const send = protocol === "https:" ? httpsRequest : httpRequest;
    const headers = { "user-agent": "tuf-edge-verify", "accept-encoding": "gzip", ...requestHeaders };
    const req = send(url, { agent: agents[protocol], headers, ...(signal ? { signal } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      const tooLarge = () => {
        req.destroy();
        reject(new BodyTooLarge(target, maxLength));
      };
      res.on("data", (c: Buffer) => {
        length += c.length;
        if (length > maxLength) return tooLarge();
        chunks.push(c);
      });
      res.on("error", reject);
      res.on("end", () => {
        if (length > maxLength) return;
        const raw = Buffer.concat(chunks);
        const gzip = res.headers["content-encoding"] === "gzip";
        const flat: Record<string, string> = {};
        // gzip is decoded here, so the answer no longer says gzip; any other coding (dcz) is left as sent.
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !(gzip && k === "content-encoding")) flat[k] = String(v);
        let body: Buffer;
        try {
          // A gzip bomb is bounded like any body: zlib stops at maxOutputLength.
          body = gzip ? gunzipSync(raw, Number.isFinite(maxLength) ? { maxOutputLength: Math.max(1, maxLength) } : {}) : raw;
        } catch (e) {
          return reject((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? new BodyTooLarge(target, maxLength) : e);
        }
        resolve({ status: res.statusCode ?? 0, headers: flat, body, wireLength: raw.length });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The fetch that verify and the monitors take: the global one, or nodeHttpFetch. */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/** httpGet as a fetch (GET only, the request's headers sent), reading at most `maxLength` bytes. */
export function httpFetch(maxLength = Infinity): Fetch {
  return async (input, init = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const answer = await httpGet(String(input), init.signal, maxLength, headers);
    const empty = answer.status === 204 || answer.status === 304;
    return new Response(empty ? null : answer.body, { status: answer.status, headers: answer.headers });
  };
}

export const nodeHttpFetch: Fetch = httpFetch();
