/**
 * One token cannot open any number of sockets: per-device and per-user caps
 * (PARLEY_WS_MAX_CONNECTIONS_PER_DEVICE / _PER_USER) refuse the connection
 * over the cap with `error` too_many_connections and close 4409.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { CLOSE_CODES, type ServerFrameOf } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../testing/harness.ts";
import { bootstrapOrg, loginUser, makeUser, TEST_PASSWORD, type TestUser } from "../testing/factories.ts";
import { connectUser, openSocket, type TestSocket } from "./test-client.ts";

/** Say hello; the `ready` or `error` that answers it. */
async function hello(server: TestServer, token: string): Promise<{ s: TestSocket; first: ServerFrameOf<"ready"> | ServerFrameOf<"error"> }> {
  const s = await openSocket(server.url);
  s.send({ t: "hello", token, cursors: { user: 0, channels: {} } });
  const first = await s.waitFor<ServerFrameOf<"ready"> | ServerFrameOf<"error">>((f) => f.t === "ready" || f.t === "error");
  return { s, first };
}

async function authenticated(server: TestServer): Promise<number> {
  return (await server.deps.metrics.wsConnections.get()).values[0]?.value ?? 0;
}

for (const dialect of DIALECTS) {
  describe(`WebSocket connection caps (${dialect})`, () => {
    let server: TestServer;
    let owner: TestUser;
    before(async () => {
      server = await startTestServer({ dialect, config: { wsMaxConnectionsPerDevice: 2, wsMaxConnectionsPerUser: 3 } });
      owner = await bootstrapOrg(server, { orgSlug: "acme" });
    });
    after(() => server.stop());

    it("refuses a device's and a user's connection over the cap with too_many_connections + 4409", async () => {
      const a1 = await connectUser(server.url, owner.accessToken);
      const a2 = await connectUser(server.url, owner.accessToken);
      const a3 = await hello(server, owner.accessToken);
      assert.equal(a3.first.t, "error");
      assert.equal((a3.first as ServerFrameOf<"error">).code, "too_many_connections");
      assert.deepEqual((a3.first as ServerFrameOf<"error">).details, { scope: "device", limit: 2 });
      assert.equal((await a3.s.closed).code, CLOSE_CODES.tooManyConnections);
      assert.ok(
        a3.s.frames.every((f) => f.t !== "ready" && f.t !== "sync"),
        "nothing was sent before the refusal",
      );

      // A second device of the same user: the user cap (3) counts every device.
      const other = await loginUser(server, "acme", "owner", TEST_PASSWORD, { deviceName: "laptop" });
      const b1 = await connectUser(server.url, other.accessToken);
      const b2 = await hello(server, other.accessToken);
      assert.deepEqual((b2.first as ServerFrameOf<"error">).details, { scope: "user", limit: 3 });
      assert.equal((await b2.s.closed).code, CLOSE_CODES.tooManyConnections);
      assert.equal(await authenticated(server), 3);

      // Another user is not affected; and a freed slot is usable again.
      const bob = await makeUser(server, owner);
      const c1 = await connectUser(server.url, bob.accessToken);
      await a1.close();
      for (let i = 0; i < 50 && (await authenticated(server)) !== 3; i++) await new Promise((r) => setTimeout(r, 20));
      const b3 = await connectUser(server.url, other.accessToken);
      assert.equal(b3.ws.readyState, 1);
      for (const s of [a2, b1, b3, c1]) await s.close();
    });

    it("parallel hellos of one device cannot slip past the cap", async () => {
      for (let i = 0; i < 50 && (await authenticated(server)) !== 0; i++) await new Promise((r) => setTimeout(r, 20));
      const tries = await Promise.all(Array.from({ length: 6 }, () => hello(server, owner.accessToken)));
      assert.equal(tries.filter((x) => x.first.t === "ready").length, 2);
      assert.equal(tries.filter((x) => x.first.t === "error" && x.first.code === "too_many_connections").length, 4);
      assert.equal(await authenticated(server), 2);
      for (const x of tries) await x.s.close();
    });
  });
}
