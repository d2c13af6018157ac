import http from "node:http";

export interface RawResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** The bytes on the wire, not decoded (fetch would gunzip them and hide double compression). */
  readonly body: Buffer;
}

/**
 * One request through node:http: the path goes out exactly as given (no URL normalization, no
 * percent-encoding), and no Accept-Encoding is sent unless given.
 */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: options.method ?? "GET", headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Headers that describe the entity (what HEAD must repeat from GET); Date and connection headers vary. */
export function entityHeaders(headers: http.IncomingHttpHeaders): Record<string, unknown> {
  const { date: _date, connection: _connection, "keep-alive": _keepAlive, ...rest } = headers;
  return rest;
}
