/**
 * Group-call media through the server against a real Janus (scripts/janus.sh) and real WebRTC
 * peers (werift, testing/webrtc.ts): publish → the SFU's answer, ICE and DTLS complete, the other
 * participants get the feeds, subscribe → the SFU's offer, start → the subscription connects;
 * trickle, ICE restarts; refusals (another org, non-members, devices not in the call, 1:1 calls,
 * forged SDP) reach nothing on Janus; call.sfu.configure stops and resumes one stream of the
 * device's own subscription only; a member removed from the channel loses its Janus sessions
 * at once and receives no more media; Janus killed and restarted → the devices are told to publish again and can.
 */
import { describe, it, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import Janode from "janode";
import VideoRoomPlugin from "janode/plugins/videoroom";
import type { ServerFrameOf, SfuFeed } from "@parley/protocol";
import { startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, type TestSocket } from "../../gateway/test-client.ts";
import { callFrame, privateChannel, socketPool, TEST_CANDIDATE, TEST_SDP } from "../../testing/calls.ts";
import { startTestJanus, type TestJanus } from "../../testing/janus.ts";
import { publisherPeer, subscriberPeer, type TestPeer } from "../../testing/webrtc.ts";
import { loadRoomSecrets } from "../../platform/sfu/room-key.ts";

type Ack = ServerFrameOf<"call.ack">;

describe("group-call media through the server and Janus", () => {
  let janus: TestJanus;
  let s: TestServer;
  let owner: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let other: TestUser;
  let roomSecret: (callId: string) => string;
  const { connect, closeAll } = socketPool(() => s.url);
  const peers: TestPeer[] = [];
  const ack = async (sock: TestSocket, frame: Record<string, unknown>): Promise<Ack> => {
    const r = await callFrame(sock, frame);
    assert.equal(r.t, "call.ack", JSON.stringify(r));
    return r as Ack;
  };
  const refused = async (sock: TestSocket, frame: Record<string, unknown>, codes: string[]) => {
    const r = await callFrame(sock, frame);
    assert.equal(r.t, "error", `${frame.t}: ${JSON.stringify(r).slice(0, 300)}`);
    assert.ok(r.t === "error" && codes.includes(r.code), `${frame.t}: ${JSON.stringify(r)}`);
    return r as ServerFrameOf<"error">;
  };
  const channel = (members: TestUser[]) => privateChannel(owner, members);
  const feedOf = (u: TestUser): SfuFeed => ({ userId: u.user.id, deviceId: u.tokens.deviceId });
  const byDevice = (a: SfuFeed, b: SfuFeed) => a.deviceId.localeCompare(b.deviceId);
  /** Publish through the server: the answer goes to the peer, which connects to Janus. */
  const publish = async (sock: TestSocket, callId: string): Promise<{ peer: TestPeer; ack: Ack }> => {
    const peer = await publisherPeer();
    peers.push(peer);
    const res = await ack(sock, { t: "call.sfu.publish", callId, offer: peer.sdp });
    assert.equal(res.description?.type, "answer");
    await peer.pc.setRemoteDescription({ type: "answer", sdp: res.description.sdp });
    await peer.connected();
    return { peer, ack: res };
  };
  /** Who is in the call's Janus room, as Janus lists it (publisher: media flowing). */
  const inRoom = async (callId: string) => {
    const c = await Janode.connect({ address: { url: janus.url, apisecret: janus.apiSecret }, max_retries: 1, retry_time_secs: 1 });
    try {
      const h = await (await c.create()).attach(VideoRoomPlugin);
      const { participants } = await h.listParticipants({ room: callId, secret: roomSecret(callId) });
      return participants.map((p) => ({ feed: String(p.feed), publisher: p.publisher })).sort((a, b) => a.feed.localeCompare(b.feed));
    } finally {
      await c.close();
    }
  };
  const eventually = async (check: () => Promise<boolean>, what: string, ms = 5000) => {
    for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return;
    assert.fail(`not within ${ms} ms: ${what}`);
  };

  before(async () => {
    janus = await startTestJanus();
    s = await startTestServer({ config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey } });
    await eventually(async () => s.deps.sfu!.health().up, "the server's SFU connection is up");
    roomSecret = await loadRoomSecrets(s.deps.db, s.deps.kms);
    owner = await bootstrapOrg(s, { orgSlug: "acme" });
    alice = await makeUser(s, owner);
    bob = await makeUser(s, owner);
    carol = await makeUser(s, owner);
    dave = await makeUser(s, owner);
    other = await makeOrg(s, "other");
  });
  afterEach(async () => {
    await closeAll();
    for (const peer of peers.splice(0)) await peer.close();
  });
  after(async () => {
    await s?.stop();
    await janus?.stop();
  });

  it("publish gets Janus's answer, the others get the feeds, subscribe and start connect; trickle and ICE restarts", async () => {
    const channelId = await channel([alice, bob, carol, dave]);
    const [a, b, c, d] = await Promise.all([connect(alice), connect(bob), connect(carol), connect(dave)]);
    const call = (await ack(a, { t: "call.start", channelId })).call!;
    assert.equal(call.kind, "sfu");
    await ack(b, { t: "call.join", callId: call.id });
    await ack(c, { t: "call.join", callId: call.id });

    const setups = async () => Number(/^parley_sfu_publish_setup_seconds_count (\S+)$/m.exec(await s.deps.metrics.registry.metrics())?.[1]);
    const setupsBefore = await setups();
    const alicePub = await publish(a, call.id);
    assert.deepEqual(alicePub.ack.feeds, []);
    // The server sees Alice's media come up on Janus (webrtcup): one more publish setup observed.
    await eventually(async () => (await setups()) === setupsBefore + 1, "parley_sfu_publish_setup_seconds counts Alice's publish");
    // Bob publishes: his answer names Alice's feed; once his media is up everyone in the call hears of both.
    const marks = [a, b, c, d].map((x) => x.frames.length);
    const bobPub = await publish(b, call.id);
    assert.deepEqual(bobPub.ack.feeds, [feedOf(alice)]);
    const both = [feedOf(alice), feedOf(bob)].sort(byDevice);
    for (const [i, sock] of [a, b, c].entries()) {
      const f = await sock.waitFor<ServerFrameOf<"call.sfu.feeds">>((x) => x.t === "call.sfu.feeds" && x.feeds.length === 2, 10_000, marks[i]);
      assert.equal(f.callId, call.id);
      assert.deepEqual([...f.feeds].sort(byDevice), both);
    }
    // Dave is a member of the channel but not in the call: he learns nothing of its feeds.
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(d.frames.slice(marks[3]).filter((x) => x.t === "call.sfu.feeds").length, 0);
    assert.deepEqual(
      await inRoom(call.id),
      [
        { feed: alice.tokens.deviceId, publisher: true },
        { feed: bob.tokens.deviceId, publisher: true },
      ].sort((x, y) => x.feed.localeCompare(y.feed)),
    );

    // Carol subscribes to both: Janus's offer, her answer, the subscription connects.
    const sub = await ack(c, { t: "call.sfu.subscribe", callId: call.id, feeds: [alice.tokens.deviceId, bob.tokens.deviceId] });
    assert.equal(sub.description?.type, "offer");
    assert.equal(sub.call, undefined);
    const carolSub = await subscriberPeer(sub.description.sdp);
    peers.push(carolSub);
    await ack(c, { t: "call.sfu.start", callId: call.id, answer: carolSub.sdp });
    await carolSub.connected();

    // Trickle to the publisher session (a candidate, then the end of them); none to a session she lacks.
    await ack(a, { t: "call.sfu.trickle", callId: call.id, role: "publisher", candidate: TEST_CANDIDATE, sdpMid: "0", sdpMLineIndex: 0 });
    await ack(a, { t: "call.sfu.trickle", callId: call.id, role: "publisher", candidate: "", sdpMid: null, sdpMLineIndex: null });
    const noSub = await refused(a, { t: "call.sfu.trickle", callId: call.id, role: "subscriber", candidate: "", sdpMid: null, sdpMLineIndex: null }, [
      "sfu_refused",
    ]);
    assert.equal((noSub.details as { reason: string }).reason, "no_session");
    await ack(c, { t: "call.sfu.trickle", callId: call.id, role: "subscriber", candidate: "", sdpMid: null, sdpMLineIndex: null });
    // Publishing twice is refused; renegotiating (an ICE restart) is answered.
    const twice = await refused(a, { t: "call.sfu.publish", callId: call.id, offer: alicePub.peer.sdp }, ["sfu_refused"]);
    assert.equal((twice.details as { reason: string }).reason, "already_published");
    // (A renegotiation offer from a second peer: werift leaks the sockets of an ICE restart on its own connection.)
    const fresh = await publisherPeer();
    peers.push(fresh);
    const restarted = await ack(b, { t: "call.sfu.renegotiate", callId: call.id, offer: fresh.sdp, iceRestart: true });
    assert.equal(restarted.description?.type, "answer");
    // A subscriber ICE restart: a fresh offer to answer with start.
    const again = await ack(c, { t: "call.sfu.restart", callId: call.id });
    assert.equal(again.description?.type, "offer");
    assert.notEqual(again.description.sdp, sub.description.sdp);

    // Bob stops publishing: the others get the feeds without him, and Janus lists him no more.
    const mark = a.frames.length;
    await ack(b, { t: "call.sfu.leave", callId: call.id });
    const remaining = await a.waitFor<ServerFrameOf<"call.sfu.feeds">>((x) => x.t === "call.sfu.feeds" && x.feeds.length === 1, 10_000, mark);
    assert.deepEqual(remaining.feeds, [feedOf(alice)]);
    assert.deepEqual(await inRoom(call.id), [{ feed: alice.tokens.deviceId, publisher: true }]);
    for (const sock of [a, b, c]) await ack(sock, { t: "call.leave", callId: call.id });
  });

  it("refuses other orgs, non-members, devices not in the call, 1:1 calls and forged SDP, with nothing on Janus", async () => {
    const channelId = await channel([alice, bob]);
    const [a, b, c, o] = await Promise.all([connect(alice), connect(bob), connect(carol), connect(other)]);
    const call = (await ack(a, { t: "call.start", channelId })).call!;
    const peer = await publisherPeer();
    peers.push(peer);
    const frames = [
      { t: "call.sfu.publish", callId: call.id, offer: peer.sdp },
      { t: "call.sfu.subscribe", callId: call.id, feeds: [alice.tokens.deviceId] },
      { t: "call.sfu.start", callId: call.id, answer: TEST_SDP },
      { t: "call.sfu.restart", callId: call.id },
      { t: "call.sfu.renegotiate", callId: call.id, offer: TEST_SDP },
      { t: "call.sfu.trickle", callId: call.id, role: "publisher", candidate: TEST_CANDIDATE, sdpMid: "0", sdpMLineIndex: 0 },
      { t: "call.sfu.configure", callId: call.id, streams: [{ mid: "0", send: false }] },
      { t: "call.sfu.leave", callId: call.id },
    ];
    // Another org's user and a user outside the channel: the call is not theirs to see.
    for (const sock of [o, c]) for (const f of frames) await refused(sock, f, ["not_found", "forbidden"]);
    // Bob is a member who has not joined: not in the call.
    for (const f of frames) await refused(b, f, ["call_not_joined"]);
    // A feed that is not another device in the call.
    await ack(b, { t: "call.join", callId: call.id });
    for (const feeds of [[carol.tokens.deviceId], [bob.tokens.deviceId], ["dev_nobody"]]) {
      await refused(b, { t: "call.sfu.subscribe", callId: call.id, feeds }, ["call_not_joined"]);
    }
    // A feed in the call that sends no media yet: Janus says so.
    const notYet = await refused(b, { t: "call.sfu.subscribe", callId: call.id, feeds: [alice.tokens.deviceId] }, ["sfu_refused"]);
    assert.equal((notYet.details as { reason: string }).reason, "not_published");
    // Forged or oversized SDP and candidates never reach the SFU (a fresh socket each: three strikes close one).
    for (const bad of [
      { t: "call.sfu.publish", callId: call.id, offer: "hello" },
      { t: "call.sfu.publish", callId: call.id, offer: peer.sdp.replace(/a=fingerprint:[^\r]*\r\n/g, "") },
      { t: "call.sfu.publish", callId: call.id, offer: peer.sdp + `a=x:${"y".repeat(17_000)}\r\n` },
      { t: "call.sfu.start", callId: call.id, answer: "v=0\r\n" + "a=x:1\r\n".repeat(500) },
      { t: "call.sfu.trickle", callId: call.id, role: "publisher", candidate: `${TEST_CANDIDATE}\r\na=injected`, sdpMid: "0", sdpMLineIndex: 0 },
      { t: "call.sfu.trickle", callId: call.id, role: "janus", candidate: "", sdpMid: null, sdpMLineIndex: null },
      { t: "call.sfu.subscribe", callId: call.id, feeds: [] },
      { t: "call.sfu.configure", callId: call.id, streams: [] },
      { t: "call.sfu.configure", callId: call.id, streams: [{ mid: "0", substream: 3 }] },
      { t: "call.sfu.configure", callId: call.id, streams: [{ mid: "0\r\na=x", send: false }] },
      { t: "call.sfu.configure", callId: call.id, streams: Array.from({ length: 151 }, (_, i) => ({ mid: String(i), send: false })) },
    ]) {
      const sock = await connectUser(s.url, bob.accessToken);
      const r = await callFrame(sock, bad);
      await sock.close();
      assert.equal(r.t === "error" && r.code, "validation_failed", JSON.stringify(r).slice(0, 200));
    }
    // Only Bob's refused subscription touched the room: nobody publishes in it.
    assert.deepEqual(
      (await inRoom(call.id)).filter((p) => p.publisher),
      [],
    );
    // A DM's call is peer to peer.
    const dm = (await alice.api("POST", "/dms", { userIds: [bob.user.id] })).body.id as string;
    const p2p = (await ack(a, { t: "call.start", channelId: dm })).call!;
    await refused(a, { t: "call.sfu.publish", callId: p2p.id, offer: peer.sdp }, ["call_not_sfu"]);
    await ack(a, { t: "call.cancel", callId: p2p.id });
    for (const sock of [a, b]) await ack(sock, { t: "call.leave", callId: call.id });
  });

  it("call.sfu.configure stops one stream of this device's own subscription while the others flow, and resumes it", async () => {
    const channelId = await channel([alice, bob, carol, dave]);
    const [a, b, c, d] = await Promise.all([connect(alice), connect(bob), connect(carol), connect(dave)]);
    const call = (await ack(a, { t: "call.start", channelId })).call!;
    await ack(b, { t: "call.join", callId: call.id });
    await ack(c, { t: "call.join", callId: call.id });
    // Alice sends audio and video; Bob and Carol each subscribe to her feed.
    const alicePeer = await publisherPeer({ videoPacketsPerFrame: 1, videoBytes: 300, fps: 30 });
    peers.push(alicePeer);
    const res = await ack(a, { t: "call.sfu.publish", callId: call.id, offer: alicePeer.sdp });
    await alicePeer.pc.setRemoteDescription({ type: "answer", sdp: res.description!.sdp });
    await alicePeer.connected();
    await eventually(async () => (await inRoom(call.id)).some((x) => x.feed === alice.tokens.deviceId && x.publisher), "Alice's feed is published");
    const subscribe = async (sock: TestSocket) => {
      const sub = await ack(sock, { t: "call.sfu.subscribe", callId: call.id, feeds: [alice.tokens.deviceId] });
      const peer = await subscriberPeer(sub.description!.sdp);
      peers.push(peer);
      await ack(sock, { t: "call.sfu.start", callId: call.id, answer: peer.sdp });
      await peer.connected();
      // The subscription's m-lines by kind (Janus names them with its own mids).
      const mids = Object.fromEntries([...sub.description!.sdp.matchAll(/^m=(audio|video)[^]*?^a=mid:(\S+)$/gm)].map((m) => [m[1], m[2]]));
      return { peer, audio: mids.audio as string, video: mids.video as string };
    };
    const bobSub = await subscribe(b);
    const carolSub = await subscribe(c);
    await eventually(async () => carolSub.peer.received("video") > 20 && carolSub.peer.received("audio") > 20, "Carol receives Alice's audio and video");
    await eventually(async () => bobSub.peer.received("video") > 20, "Bob receives Alice's video");
    /** Packets of each kind that arrive at a subscriber within `ms`. */
    const during = async (ms: number) => {
      const before = [carolSub.peer.received("audio"), carolSub.peer.received("video"), bobSub.peer.received("video")];
      await new Promise((r) => setTimeout(r, ms));
      return {
        carolAudio: carolSub.peer.received("audio") - before[0]!,
        carolVideo: carolSub.peer.received("video") - before[1]!,
        bobVideo: bobSub.peer.received("video") - before[2]!,
      };
    };

    // Carol stops her video stream: Janus forwards her no more video; her audio and Bob's video flow on.
    const stopped = await ack(c, { t: "call.sfu.configure", callId: call.id, streams: [{ mid: carolSub.video, send: false }] });
    assert.deepEqual(Object.keys(stopped).sort(), ["ref", "t"], "no renegotiation: the ack carries nothing");
    await new Promise((r) => setTimeout(r, 300));
    const off = await during(1500);
    assert.equal(off.carolVideo, 0, "no video reaches Carol after send:false");
    assert.ok(off.carolAudio > 30, `Carol's audio flows on (${off.carolAudio})`);
    assert.ok(off.bobVideo > 20, `Bob's video flows on (${off.bobVideo})`);

    // Refusals change nothing: a mid outside her subscription (with a valid one beside it) ...
    const unknown = await refused(
      c,
      {
        t: "call.sfu.configure",
        callId: call.id,
        streams: [
          { mid: carolSub.audio, send: false },
          { mid: "77", send: false },
        ],
      },
      ["sfu_refused"],
    );
    assert.equal((unknown.details as { reason: string }).reason, "no_stream");
    // ... a device with no subscription, a member not in the call, another org, a 1:1 call.
    const noSub = await refused(a, { t: "call.sfu.configure", callId: call.id, streams: [{ mid: carolSub.video, send: false }] }, ["sfu_refused"]);
    assert.equal((noSub.details as { reason: string }).reason, "no_session");
    await refused(d, { t: "call.sfu.configure", callId: call.id, streams: [{ mid: carolSub.video, send: false }] }, ["call_not_joined"]);
    const o = await connect(other);
    await refused(o, { t: "call.sfu.configure", callId: call.id, streams: [{ mid: carolSub.video, send: false }] }, ["not_found"]);
    const dm = (await alice.api("POST", "/dms", { userIds: [bob.user.id] })).body.id as string;
    const p2p = (await ack(a, { t: "call.start", channelId: dm })).call!;
    await refused(a, { t: "call.sfu.configure", callId: p2p.id, streams: [{ mid: "0", send: false }] }, ["call_not_sfu"]);
    await ack(a, { t: "call.cancel", callId: p2p.id });
    const still = await during(1000);
    assert.equal(still.carolVideo, 0, "Carol's video is still off");
    assert.ok(still.carolAudio > 20, `the refused request did not stop Carol's audio (${still.carolAudio})`);
    assert.ok(still.bobVideo > 10, `nobody touched Bob's subscription (${still.bobVideo})`);

    // Back on: her video flows again.
    await ack(c, { t: "call.sfu.configure", callId: call.id, streams: [{ mid: carolSub.video, send: true }] });
    await eventually(async () => (await during(500)).carolVideo > 5, "Carol's video flows again after send:true");
    for (const sock of [a, b, c]) await ack(sock, { t: "call.leave", callId: call.id });
  });

  it("a member removed from the channel loses its Janus sessions at once and hears nothing more", async () => {
    const channelId = await channel([alice, bob, carol]);
    const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
    const call = (await ack(a, { t: "call.start", channelId })).call!;
    await ack(b, { t: "call.join", callId: call.id });
    await ack(c, { t: "call.join", callId: call.id });
    await publish(a, call.id);
    await publish(b, call.id);
    await a.waitFor((x) => x.t === "call.sfu.feeds" && x.feeds.length === 2, 10_000);
    const sub = await ack(b, { t: "call.sfu.subscribe", callId: call.id, feeds: [alice.tokens.deviceId] });
    const bobSub = await subscriberPeer(sub.description!.sdp);
    peers.push(bobSub);
    await ack(b, { t: "call.sfu.start", callId: call.id, answer: bobSub.sdp });
    await bobSub.connected();
    assert.ok((await inRoom(call.id)).some((p) => p.feed === bob.tokens.deviceId));
    // Alice's media reaches Bob through Janus.
    await eventually(async () => bobSub.received() > 20, "Bob receives Alice's media");

    const mark = a.frames.length;
    assert.equal((await owner.api("DELETE", `/channels/${channelId}/members/${bob.user.id}`)).status, 204);
    // Janus ends Bob's publisher and subscriber sessions: his feed leaves the room, his peers disconnect.
    await eventually(async () => !(await inRoom(call.id)).some((p) => p.feed === bob.tokens.deviceId), "Bob's feed leaves the Janus room");
    // Janus forwards him nothing more (Alice keeps sending).
    await new Promise((r) => setTimeout(r, 500));
    const cutOff = bobSub.received();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(bobSub.received(), cutOff, "no media reaches the removed member");
    const feeds = await a.waitFor<ServerFrameOf<"call.sfu.feeds">>((x) => x.t === "call.sfu.feeds" && x.feeds.length === 1, 10_000, mark);
    assert.deepEqual(feeds.feeds, [feedOf(alice)]);
    // The adapter holds no session for him any more, and the server refuses him.
    await assert.rejects(s.deps.sfu!.trickle(call.id, bob.tokens.deviceId, "subscriber", null), /no subscriber session/);
    await refused(b, { t: "call.sfu.subscribe", callId: call.id, feeds: [alice.tokens.deviceId] }, ["not_found", "forbidden"]);

    // A revoked device is dropped the same way.
    await publish(c, call.id);
    assert.equal((await owner.api("DELETE", `/users/${carol.user.id}/devices/${carol.tokens.deviceId}`)).status, 204);
    await eventually(async () => !(await inRoom(call.id)).some((p) => p.feed === carol.tokens.deviceId), "Carol's feed leaves the Janus room");
    await ack(a, { t: "call.leave", callId: call.id });
  });

  it("Janus killed and restarted: the devices in the call are told to publish again, and can", async () => {
    const channelId = await channel([alice, bob]);
    const [a, b, d] = await Promise.all([connect(alice), connect(bob), connect(dave)]);
    const call = (await ack(a, { t: "call.start", channelId })).call!;
    await ack(b, { t: "call.join", callId: call.id });
    await publish(a, call.id);
    await publish(b, call.id);
    const marks = [a.frames.length, b.frames.length];
    await janus.kill();
    await eventually(async () => !s.deps.sfu!.health().up, "the server sees Janus down");
    await refused(a, { t: "call.sfu.restart", callId: call.id }, ["sfu_unavailable"]);
    await janus.start();
    for (const [i, sock] of [a, b].entries()) {
      const f = await sock.waitFor<ServerFrameOf<"call.sfu.reconnect">>((x) => x.t === "call.sfu.reconnect", 15_000, marks[i]);
      assert.equal(f.callId, call.id);
    }
    assert.equal(d.of("call.sfu.reconnect").length, 0);
    // The room is there again, and publishing works on the new Janus.
    await eventually(
      async () =>
        await inRoom(call.id).then(
          () => true,
          () => false,
        ),
      "the room is made again",
    );
    const mark = a.frames.length;
    await publish(a, call.id);
    await publish(b, call.id);
    await a.waitFor((x) => x.t === "call.sfu.feeds" && x.feeds.length === 2, 10_000, mark);
    for (const sock of [a, b]) await ack(sock, { t: "call.leave", callId: call.id });
  });
});
