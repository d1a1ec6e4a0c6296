/** Test support: one HTTPS request to a webhook endpoint that trusts the test's certificate, answered as status, headers and JSON. */
import https from "node:https";

export interface HookAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: { code?: string; message?: string; seq?: number; ok?: boolean };
}

export function callHook(
  url: string,
  ca: string,
  o: { method?: string; headers?: Record<string, string>; body?: string | Buffer; declaredLength?: number },
): Promise<HookAnswer> {
  return new Promise((resolve, reject) => {
    const body = o.body ?? "";
    const req = https.request(
      url,
      // declaredLength -1: no Content-Length (a chunked body).
      {
        method: o.method ?? "POST",
        ca,
        headers: { ...(o.declaredLength === -1 ? {} : { "content-length": String(o.declaredLength ?? Buffer.byteLength(body)) }), ...o.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as HookAnswer["body"]) : {} });
        });
      },
    );
    // The server may answer (413) and close before the whole body is written.
    req.on("error", reject);
    req.end(body);
  });
}
