/**
 * A minimal TURN client for tests (RFC 8656 Allocate with long-term credentials, RFC 8489
 * message integrity), over UDP, TCP or TLS to a real coturn: enough to prove which credentials the
 * relay accepts. Not a general STUN implementation: one request at a time, IPv4 only.
 */
import crypto from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import tls from "node:tls";

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const REFRESH = 0x0004;
const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  LIFETIME: 0x000d,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED: 0x0016,
  TRANSPORT: 0x0019,
};

/** The outcome of an Allocate: a relayed port, or the error code coturn answered. */
export type AllocateResult = { ok: true; relayPort: number } | { ok: false; error: number; reason: string };

interface Attr {
  type: number;
  value: Buffer;
}

function encode(method: number, tid: Buffer, attrs: Attr[], key?: Buffer): Buffer {
  const body = Buffer.concat(
    attrs.map((a) => {
      const pad = (4 - (a.value.length % 4)) % 4;
      const h = Buffer.alloc(4);
      h.writeUInt16BE(a.type, 0);
      h.writeUInt16BE(a.value.length, 2);
      return Buffer.concat([h, a.value, Buffer.alloc(pad)]);
    }),
  );
  const header = Buffer.alloc(20);
  header.writeUInt16BE(method, 0);
  header.writeUInt32BE(MAGIC, 4);
  tid.copy(header, 8);
  if (!key) {
    header.writeUInt16BE(body.length, 2);
    return Buffer.concat([header, body]);
  }
  // MESSAGE-INTEGRITY covers everything before it, with the length already counting it (24 bytes).
  header.writeUInt16BE(body.length + 24, 2);
  const mac = crypto
    .createHmac("sha1", key)
    .update(Buffer.concat([header, body]))
    .digest();
  const mi = Buffer.alloc(4);
  mi.writeUInt16BE(ATTR.MESSAGE_INTEGRITY, 0);
  mi.writeUInt16BE(20, 2);
  return Buffer.concat([header, body, mi, mac]);
}

function decode(msg: Buffer): { type: number; attrs: Map<number, Buffer> } {
  const type = msg.readUInt16BE(0);
  const len = msg.readUInt16BE(2);
  const attrs = new Map<number, Buffer>();
  for (let off = 20; off + 4 <= 20 + len;) {
    const t = msg.readUInt16BE(off);
    const l = msg.readUInt16BE(off + 2);
    attrs.set(t, msg.subarray(off + 4, off + 4 + l));
    off += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { type, attrs };
}

/** One request/response exchange with the server over a fresh UDP socket or TCP connection. */
interface Channel {
  request(msg: Buffer): Promise<Buffer>;
  close(): void;
}

function udpChannel(port: number): Channel {
  const sock = dgram.createSocket("udp4");
  return {
    request: (msg) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no TURN answer over UDP within 3 s")), 3000);
        sock.once("message", (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        sock.send(msg, port, "127.0.0.1");
      }),
    close: () => sock.close(),
  };
}

/** TURN over TCP, or over TLS when `ca` (the server certificate to trust) is given. */
async function tcpChannel(port: number, ca?: string): Promise<Channel> {
  const sock = ca ? tls.connect({ port, host: "127.0.0.1", ca }) : net.connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => sock.once(ca ? "secureConnect" : "connect", () => resolve()).once("error", reject));
  let buf = Buffer.alloc(0);
  let waiting: ((m: Buffer) => void) | null = null;
  const drain = () => {
    if (!waiting || buf.length < 20) return;
    const total = 20 + buf.readUInt16BE(2);
    if (buf.length < total) return;
    const m = buf.subarray(0, total);
    buf = buf.subarray(total);
    const w = waiting;
    waiting = null;
    w(m);
  };
  sock.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    drain();
  });
  sock.on("error", () => undefined);
  return {
    request: (msg) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no TURN answer over ${ca ? "TLS" : "TCP"} within 3 s`)), 3000);
        waiting = (m) => {
          clearTimeout(timer);
          resolve(m);
        };
        sock.write(msg);
        drain();
      }),
    close: () => sock.destroy(),
  };
}

function errorOf(attrs: Map<number, Buffer>): { error: number; reason: string } {
  const e = attrs.get(ATTR.ERROR_CODE);
  if (!e) return { error: 0, reason: "no ERROR-CODE" };
  return { error: (e[2]! & 7) * 100 + e[3]!, reason: e.subarray(4).toString("utf8") };
}

/**
 * Allocate a UDP relay on coturn at 127.0.0.1:`port` with `username`/`password`, the control
 * connection over `transport`. Follows the long-term-credential dance: an unauthenticated
 * request, the 401 carrying realm and nonce, then the signed request. The allocation is released
 * again (Refresh with lifetime 0) unless `keep` is set.
 */
export async function turnAllocate(o: {
  port: number;
  transport: "udp" | "tcp" | "tls";
  username: string;
  password: string;
  keep?: boolean;
  /** For `tls`: the server certificate to trust (PEM). */
  ca?: string;
}): Promise<AllocateResult> {
  if (o.transport === "tls" && !o.ca) throw new Error("TURN over TLS needs the server certificate to trust (ca)");
  const ch = o.transport === "udp" ? udpChannel(o.port) : await tcpChannel(o.port, o.transport === "tls" ? o.ca : undefined);
  try {
    const transportAttr = { type: ATTR.TRANSPORT, value: Buffer.from([17, 0, 0, 0]) };
    const first = decode(await ch.request(encode(ALLOCATE, crypto.randomBytes(12), [transportAttr])));
    const realm = first.attrs.get(ATTR.REALM);
    const nonce = first.attrs.get(ATTR.NONCE);
    if (first.type !== 0x0113 || !realm || !nonce) throw new Error(`expected a 401 challenge, got message type 0x${first.type.toString(16)}`);
    const key = crypto
      .createHash("md5")
      .update(`${o.username}:${realm.toString("utf8")}:${o.password}`)
      .digest();
    const auth = [
      { type: ATTR.USERNAME, value: Buffer.from(o.username) },
      { type: ATTR.REALM, value: realm },
      { type: ATTR.NONCE, value: nonce },
    ];
    const res = decode(await ch.request(encode(ALLOCATE, crypto.randomBytes(12), [transportAttr, ...auth], key)));
    if (res.type !== 0x0103) return { ok: false, ...errorOf(res.attrs) };
    const relayed = res.attrs.get(ATTR.XOR_RELAYED);
    const relayPort = relayed ? relayed.readUInt16BE(2) ^ (MAGIC >>> 16) : 0;
    if (!o.keep) {
      const lifetime = Buffer.alloc(4);
      await ch.request(encode(REFRESH, crypto.randomBytes(12), [{ type: ATTR.LIFETIME, value: lifetime }, ...auth], key));
    }
    return { ok: true, relayPort };
  } finally {
    if (!o.keep) ch.close();
  }
}
