/**
 * A child process of sfu-load.ts holding werift WebRTC peers (publishers sending fake media,
 * subscribers counting the RTP packets Janus forwards them), driven over the IPC channel:
 *   {id, op: "publish", media}      -> {id, sdp}        (the publisher's offer, candidates gathered)
 *   {id, op: "answered", peer, sdp} -> {id}             (once its connection is up)
 *   {id, op: "subscribe", sdp}      -> {id, peer, sdp}  (the subscriber's answer to Janus's offer)
 *   {id, op: "connected", peer}     -> {id}
 *   {id, op: "received"}            -> {id, packets}    (RTP packets all subscribers received so far)
 *   {id, op: "close"}               -> {id}             (every peer closed)
 */
import { publisherPeer, subscriberPeer, type PublisherMedia, type TestPeer } from "@parley/server/testing/webrtc";

type Command =
  | { id: number; op: "publish"; media: PublisherMedia }
  | { id: number; op: "answered"; peer: number; sdp: string }
  | { id: number; op: "subscribe"; sdp: string }
  | { id: number; op: "connected"; peer: number }
  | { id: number; op: "received" }
  | { id: number; op: "close" };

const peers = new Map<number, TestPeer>();
const subscribers: TestPeer[] = [];
let next = 0;

async function handle(c: Command): Promise<Record<string, unknown>> {
  switch (c.op) {
    case "publish": {
      const peer = await publisherPeer(c.media);
      peers.set(++next, peer);
      return { peer: next, sdp: peer.sdp };
    }
    case "answered": {
      const peer = peers.get(c.peer)!;
      await peer.pc.setRemoteDescription({ type: "answer", sdp: c.sdp });
      await peer.connected(30_000);
      return {};
    }
    case "subscribe": {
      const peer = await subscriberPeer(c.sdp);
      peers.set(++next, peer);
      subscribers.push(peer);
      return { peer: next, sdp: peer.sdp };
    }
    case "connected":
      await peers.get(c.peer)!.connected(30_000);
      return {};
    case "received":
      return { packets: subscribers.reduce((n, p) => n + p.received(), 0) };
    case "close":
      for (const p of peers.values()) await p.close().catch(() => undefined);
      peers.clear();
      subscribers.length = 0;
      return {};
  }
}

process.on("message", (c: Command) => {
  handle(c).then(
    (r) => process.send!({ id: c.id, ...r }),
    (err: Error) => process.send!({ id: c.id, error: err.message }),
  );
});
process.on("disconnect", () => process.exit(0));
