/**
 * `client.calls.sfu` against a real server and a real Janus, with real WebRTC peers (werift):
 * two clients in a group call publish through the SDK, the first hears of the second's feed
 * (`feeds`), subscribes and starts, stops and resumes a stream of its subscription (`configure`); a 1:1 call is refused as a ParleyError; Janus killed and
 * restarted → both clients get `reconnect`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startTestJanus } from "@parley/server/testing/janus";
import { publisherPeer, subscriberPeer, type TestPeer } from "@parley/server/testing/webrtc";
import { startOrg } from "./testing/e2ee-clients.ts";
import { isParleyError, type CallSfuEvents, type ParleyClient } from "./index.ts";

function next<K extends "feeds" | "reconnect">(client: ParleyClient, event: K, pred: (p: CallSfuEvents[K]) => boolean = () => true): Promise<CallSfuEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within 15 s`)), 15_000);
    const off = client.calls.sfu.on(event, (p) => {
      if (!pred(p as CallSfuEvents[K])) return;
      clearTimeout(timer);
      off();
      resolve(p as CallSfuEvents[K]);
    });
  });
}

test("calls.sfu: publish, feeds, subscribe, start and configure through the server; a 1:1 call refused; Janus restarted → reconnect", async (t) => {
  const janus = await startTestJanus();
  t.after(() => janus.stop());
  const { server, org } = await startOrg(t, {}, { config: { janusUrl: janus.url, janusApiSecret: janus.apiSecret, janusAdminKey: janus.adminKey } });
  for (let i = 0; i < 200 && !server.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
  const peers: TestPeer[] = [];
  t.after(async () => {
    for (const p of peers) await p.close();
  });
  const alice = org.owner;
  const bob = await org.user("bob");
  const channel = await alice.api.call("createChannel", { body: { kind: "private", name: "standup", members: [bob.userId] } });
  alice.connect();
  bob.connect();
  await Promise.all([alice.waitUntilLive(), bob.waitUntilLive()]);
  const call = await alice.calls.start(channel.id);
  assert.equal(call.kind, "sfu");
  await bob.calls.join(call.id);

  const publish = async (client: ParleyClient) => {
    const peer = await publisherPeer();
    peers.push(peer);
    const res = await client.calls.sfu.publish(call.id, peer.sdp);
    assert.equal(res.answer.type, "answer");
    await peer.pc.setRemoteDescription(res.answer);
    await peer.connected();
    return res;
  };
  const first = await publish(alice);
  assert.deepEqual(first.feeds, []);
  const feeds = next(alice, "feeds", (f) => f.feeds.length === 2);
  const second = await publish(bob);
  assert.deepEqual(second.feeds, [{ userId: alice.userId, deviceId: alice.session!.deviceId }]);
  const seen = await feeds;
  assert.equal(seen.callId, call.id);
  const bobDevice = bob.session!.deviceId;
  assert.ok(seen.feeds.some((f) => f.deviceId === bobDevice && f.userId === bob.userId));

  const offer = await alice.calls.sfu.subscribe(call.id, [bobDevice]);
  assert.equal(offer.type, "offer");
  const sub = await subscriberPeer(offer.sdp);
  peers.push(sub);
  await alice.calls.sfu.start(call.id, sub.sdp);
  await sub.connected();
  await alice.calls.sfu.trickle(call.id, "subscriber", null);
  // configure: stopping Bob's audio m-line stops its packets (werift peers send audio only); a mid outside the subscription is refused.
  const audioMid = /^m=audio[^]*?^a=mid:(\S+)$/m.exec(offer.sdp)![1]!;
  for (let i = 0; i < 200 && sub.received("audio") < 10; i++) await new Promise((r) => setTimeout(r, 25));
  await alice.calls.sfu.configure(call.id, [{ mid: audioMid, send: false }]);
  await new Promise((r) => setTimeout(r, 300));
  const stopped = sub.received("audio");
  await new Promise((r) => setTimeout(r, 700));
  assert.equal(sub.received("audio"), stopped, "no audio after send:false");
  await alice.calls.sfu.configure(call.id, [{ mid: audioMid, send: true }]);
  for (let i = 0; i < 200 && sub.received("audio") <= stopped + 10; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(sub.received("audio") > stopped + 10, "audio again after send:true");
  await assert.rejects(alice.calls.sfu.configure(call.id, [{ mid: "99", send: false }]), (err: unknown) => isParleyError(err, "sfu_refused"));
  await assert.rejects(alice.calls.sfu.subscribe(call.id, [alice.session!.deviceId]), (err: unknown) => isParleyError(err, "call_not_joined"));

  // A DM's call is peer to peer: no SFU.
  const dm = (await alice.api.call("openDm", { body: { userIds: [bob.userId] } })).id;
  const p2p = await alice.calls.start(dm);
  await assert.rejects(alice.calls.sfu.publish(p2p.id, first.answer.sdp), (err: unknown) => isParleyError(err, "call_not_sfu"));
  await alice.calls.cancel(p2p.id);

  const told = Promise.all([next(alice, "reconnect"), next(bob, "reconnect")]);
  await janus.kill();
  for (let i = 0; i < 200 && server.deps.sfu!.health().up; i++) await new Promise((r) => setTimeout(r, 25));
  await janus.start();
  assert.deepEqual(
    (await told).map((r) => r.callId),
    [call.id, call.id],
  );
  await alice.calls.leave(call.id);
  await bob.calls.leave(call.id);
});
