/**
 * TURN credentials against a real coturn (scripts/coturn.sh, one per test file): a fresh
 * credential allocates a relay over UDP, TCP and TLS; an expired one, one signed with another
 * secret, and one whose username was altered are refused with 401; the allocation count read
 * from coturn's CLI follows the allocations held.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startTestCoturn, type TestCoturn } from "../../testing/coturn.ts";
import { turnAllocate } from "../../testing/turn-client.ts";
import { iceServersFor, mintTurnCredential, opaqueUserRef } from "./credentials.ts";
import { readTurnAllocations } from "./allocations.ts";

let turn: TestCoturn;
before(async () => {
  turn = await startTestCoturn({ tls: true });
});
after(() => turn?.stop());

test("a fresh credential allocates a relay over UDP, TCP and TLS (the fallbacks when UDP or all but HTTPS is blocked)", async () => {
  const cred = mintTurnCredential(turn.secret, opaqueUserRef(turn.secret, "user-1"), 600);
  for (const transport of ["udp", "tcp", "tls"] as const) {
    const port = transport === "tls" ? turn.tlsPort! : turn.port;
    const r = await turnAllocate({ port, transport, username: cred.username, password: cred.credential, ca: turn.caPem });
    assert.equal(r.ok, true, `${transport}: ${JSON.stringify(r)}`);
    assert.ok(r.ok && r.relayPort > 0);
  }
});

test("an expired credential, a wrong secret and an altered username are refused with 401", async () => {
  const ref = opaqueUserRef(turn.secret, "user-2");
  const expired = mintTurnCredential(turn.secret, ref, 60, Date.now() - 120_000);
  const wrongSecret = mintTurnCredential("not-the-shared-secret-at-all", ref, 600);
  const good = mintTurnCredential(turn.secret, ref, 600);
  const altered = { username: good.username.replace(/^\d+/, (n) => String(Number(n) + 3600)), credential: good.credential };
  for (const transport of ["udp", "tcp"] as const) {
    for (const [name, c] of Object.entries({ expired, wrongSecret, altered })) {
      const r = await turnAllocate({ port: turn.port, transport, username: c.username, password: c.credential });
      assert.deepEqual(r.ok ? "allocated" : r.error, 401, `${name} over ${transport}`);
    }
  }
});

test("ICE servers carry STUN, TURN over UDP and TCP, turns: when configured, and a working credential", async () => {
  const server = `127.0.0.1:${turn.port}`;
  assert.equal(iceServersFor({ turnCredentialTtl: 600 }, "u"), null);
  const minted = iceServersFor({ turnServer: server, turnTlsServer: "turn.example.org:443", turnSecret: turn.secret, turnCredentialTtl: 600 }, "user-3");
  assert.ok(minted);
  assert.deepEqual(minted.iceServers[0], { urls: [`stun:${server}`] });
  const relay = minted.iceServers[1]!;
  assert.deepEqual(relay.urls, [`turn:${server}?transport=udp`, `turn:${server}?transport=tcp`, "turns:turn.example.org:443?transport=tcp"]);
  assert.ok(!relay.username!.includes("user-3"), "the username carries no user id");
  assert.ok(Math.abs(minted.expiresAt - (Date.now() + 600_000)) < 2000);
  const r = await turnAllocate({ port: turn.port, transport: "udp", username: relay.username!, password: relay.credential! });
  assert.equal(r.ok, true);
});

test("the allocation count comes from coturn's CLI and follows the allocations held", async () => {
  const cli = { host: "127.0.0.1", port: turn.cliPort, password: turn.cliPassword };
  const base = await readTurnAllocations(cli);
  const cred = mintTurnCredential(turn.secret, opaqueUserRef(turn.secret, "user-4"), 600);
  const held = await turnAllocate({ port: turn.port, transport: "tcp", username: cred.username, password: cred.credential, keep: true });
  assert.equal(held.ok, true);
  assert.equal(await readTurnAllocations(cli), base + 1);
  await assert.rejects(readTurnAllocations({ ...cli, password: "wrong" }), /refused the password|did not answer/);
});
