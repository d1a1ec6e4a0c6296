/** Test helpers for call signalling: a well-formed SDP and ICE candidate, and a call frame answered by ref. */
import type { Call, ServerFrame } from "@parley/protocol";
import { connectUser, type TestSocket } from "../gateway/test-client.ts";
import type { TestUser } from "./factories.ts";

/** An SDP shaped like a browser's offer (one audio section, a DTLS fingerprint). */
export const TEST_SDP = [
  "v=0",
  "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
  "s=-",
  "t=0 0",
  "a=group:BUNDLE 0",
  "a=fingerprint:sha-256 8B:87:09:8A:5D:C2:F3:33:EF:C5:B1:F6:84:3A:3D:D6:A3:E2:9C:17:4C:E7:46:3B:1B:CE:84:98:DD:8E:AF:7B",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111",
  "c=IN IP4 0.0.0.0",
  "a=mid:0",
  "a=ice-ufrag:EsAw",
  "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
  "a=setup:actpass",
  "a=rtpmap:111 opus/48000/2",
  "",
].join("\r\n");

/** A server-reflexive ICE candidate as a browser writes it. */
export const TEST_CANDIDATE =
  "candidate:842163049 1 udp 1677729535 192.0.2.10 50000 typ srflx raddr 10.0.0.1 rport 50000 generation 0 ufrag EsAw network-cost 999";

let refs = 0;

/** Send a call frame with a fresh ref; resolves with its `call.ack` or `error` answer. */
export async function callFrame(sock: TestSocket, frame: Record<string, unknown>): Promise<Extract<ServerFrame, { t: "call.ack" | "error" }>> {
  const ref = `r${++refs}`;
  const mark = sock.frames.length;
  sock.send({ ...frame, ref });
  return sock.waitFor((f) => (f.t === "call.ack" || f.t === "error") && f.ref === ref, 10_000, mark);
}

/** Send a call frame that must be acknowledged (throws on an error answer); resolves with the call the `call.ack` carries. */
export async function callAck(sock: TestSocket, frame: Record<string, unknown>): Promise<Call> {
  const r = await callFrame(sock, frame);
  if (r.t !== "call.ack") throw new Error(`expected call.ack, got ${JSON.stringify(r)}`);
  return r.call!;
}

/**
 * Start a call in a channel from a socket of `token`'s device; returns the call id. The socket
 * stays open (until the server stops): a device without connections is dropped from its calls
 * after PARLEY_CALL_DISCONNECT_SECONDS.
 */
export async function startCallIn(httpUrl: string, token: string, channelId: string): Promise<string> {
  const sock = await connectUser(httpUrl, token);
  const r = await callFrame(sock, { t: "call.start", channelId });
  if (r.t !== "call.ack" || !r.call) {
    await sock.close();
    throw new Error(`call.start failed: ${JSON.stringify(r)}`);
  }
  return r.call.id;
}

/** A private channel made by `admin` with these members (a group call there is an `sfu` call); returns its id. */
export async function privateChannel(admin: TestUser, members: TestUser[]): Promise<string> {
  const r = await admin.api("POST", "/channels", {
    kind: "private",
    name: `c-${Math.random().toString(36).slice(2, 10)}`,
    members: members.map((m) => m.user.id),
  });
  if (r.status !== 201) throw new Error(`channel not created: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.id as string;
}

/**
 * The WebSocket connections a test file opens: `connect` signs a user's connection in to the
 * server `url()` names (read when called: the server starts in `before`) and keeps it, `closeAll`
 * (in `after` or `afterEach`) closes every kept one.
 */
export function socketPool(url: () => string): {
  connect(u: TestUser): Promise<TestSocket>;
  closeAll(): Promise<void>;
} {
  const sockets: TestSocket[] = [];
  return {
    async connect(u) {
      const sock = await connectUser(url(), u.accessToken);
      sockets.push(sock);
      return sock;
    },
    async closeAll() {
      for (const sock of sockets.splice(0)) await sock.close();
    },
  };
}
