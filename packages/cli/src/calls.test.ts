/**
 * `parley calls` from the real binary against a real server: an admin lists the org's active
 * calls, ends one (the participant's socket is told), and ending it again is refused with the
 * server's code. SQLite only: the server's side runs on both dialects in
 * packages/server/src/modules/calls/calls.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { asTestUser, loginUser } from "@parley/server/testing/factories";
import { startCallIn } from "@parley/server/testing/calls";
import { connectUser } from "../../server/src/gateway/test-client.ts";
import { CLI_OWNER_PASSWORD, cliOwnerOrg } from "./testing/spawn-cli.ts";

test("parley calls list, end (sqlite)", { timeout: 300_000 }, async (t) => {
  const { server, owner } = await cliOwnerOrg(t, "calls");
  const none = await owner(["calls", "list"]);
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stdout, /no active calls/);

  // The owner's web device starts a call in a channel and stays in it.
  const web = asTestUser(server, await loginUser(server, "acme", "owner", CLI_OWNER_PASSWORD, { deviceName: "web" }), CLI_OWNER_PASSWORD);
  const channelId = (await web.api("POST", "/channels", { kind: "public", name: "standup" })).body.id as string;
  const callId = await startCallIn(server.url, web.accessToken, channelId);
  const sock = await connectUser(server.url, web.accessToken);
  t.after(() => sock.close());

  const list = await owner(["calls", "list", "--json"]);
  assert.equal(list.code, 0, list.stderr);
  const calls = list.json().calls as Array<{ id: string; channelId: string; participants: unknown[] }>;
  assert.deepEqual(
    calls.map((c) => [c.id, c.channelId, c.participants.length]),
    [[callId, channelId, 1]],
  );
  assert.match((await owner(["calls", "list"])).stdout, new RegExp(`${callId} sfu in ${channelId}, started by owner`));

  const end = await owner(["calls", "end", callId]);
  assert.equal(end.code, 0, end.stderr);
  assert.match(end.stdout, new RegExp(`Ended call ${callId}`));
  const told = await sock.waitFor((f) => f.t === "call.ended" && f.callId === callId);
  assert.equal(told.t === "call.ended" && told.reason, "admin");
  assert.match((await owner(["calls", "list"])).stdout, /no active calls/);

  const again = await owner(["calls", "end", callId]);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /call_ended|already ended/);
});
