/** Test helper: post a message (optionally a thread reply, with mentions) through the HTTP API; returns its seq. */
import type { TestUser } from "./factories.ts";

let n = 0;

export async function send(u: TestUser, channelId: string, opts: { mentions?: string[]; threadRoot?: number }): Promise<number> {
  const r = await u.api("POST", `/channels/${channelId}/events`, {
    clientId: `inbox-${process.pid}-${++n}`,
    kind: "message",
    content: Buffer.from(`m${n}`).toString("base64"),
    ...opts,
  });
  if (r.status !== 200) throw new Error(`send failed: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.event.seq as number;
}
