/**
 * The integration registry: admins register, list, disable and delete integrations (metadata
 * only) with audit entries; bad input gets stable codes and writes nothing; another org's
 * principals see nothing; the integration's bot (a service account signed in with an API key)
 * reports dead letters, idempotently, and admins list them.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";

for (const dialect of DIALECTS) {
  describe(`integrations (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let member: TestUser;
    let bot: TestUser;
    let otherBot: TestUser;
    let otherOrg: TestUser;
    let ch: string;
    let lonely: string;
    const audit = (action: string) => s.deps.db.selectFrom("audit_log").select(["action", "target_id", "details"]).where("action", "=", action).execute();
    const counts = async () => ({
      integrations: await countRows(s, "integrations"),
      dead: await countRows(s, "integration_dead_letters"),
      audit: await countRows(s, "audit_log"),
    });

    const serviceAccount = async (admin: TestUser, username: string) => {
      const sa = await admin.api("POST", "/service-accounts", { username, displayName: username });
      assert.equal(sa.status, 201);
      const key = await admin.api("POST", `/service-accounts/${sa.body.id}/api-keys`, { name: "runtime", scopes: ["read", "write"] });
      assert.equal(key.status, 201, JSON.stringify(key.body));
      const tokens = await call(s, "POST", "/auth/api-key", { key: key.body.key, deviceName: "webhook runtime" });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      return asTestUser(s, tokens.body, "");
    };

    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      member = await makeUser(s, owner);
      bot = await serviceAccount(owner, "ci-bot");
      otherBot = await serviceAccount(owner, "other-bot");
      otherOrg = await makeOrg(s, "elsewhere");
      ch = (await owner.api("POST", "/channels", { kind: "private", name: "builds", members: [bot.user.id, member.user.id] })).body.id;
      lonely = (await owner.api("POST", "/channels", { kind: "private", name: "no-bots", members: [member.user.id] })).body.id;
    });
    after(() => s.stop());

    const body = (o: Record<string, unknown> = {}) => ({
      kind: "incoming",
      name: "CI notifier",
      botUserId: bot.user.id,
      channelId: ch,
      runsAt: "ci-runner-3",
      ...o,
    });

    it("registers, lists, disables, re-enables and deletes, each with an audit entry", async () => {
      const r = await owner.api("POST", "/integrations", body());
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual(
        { ...r.body, id: "", createdAt: 0, updatedAt: 0, createdBy: "" },
        {
          id: "",
          kind: "incoming",
          name: "CI notifier",
          botUserId: bot.user.id,
          channelId: ch,
          runsAt: "ci-runner-3",
          enabled: true,
          createdAt: 0,
          updatedAt: 0,
          createdBy: "",
        },
      );
      const id = r.body.id as string;
      assert.equal((await audit("integration.created")).filter((a) => a.target_id === id).length, 1);
      const out = await owner.api("POST", "/integrations", body({ kind: "outgoing", name: "Deploy hook" }));
      assert.equal(out.status, 201);

      const list = await owner.api("GET", "/integrations");
      assert.deepEqual(
        list.body.integrations.map((i: { name: string; kind: string }) => [i.name, i.kind]),
        [
          ["CI notifier", "incoming"],
          ["Deploy hook", "outgoing"],
        ],
      );
      // The bot sees the integrations it serves (to know whether they are enabled); a member none.
      assert.equal((await bot.api("GET", "/integrations")).body.integrations.length, 2);
      assert.equal((await member.api("GET", "/integrations")).body.integrations.length, 0);

      const off = await owner.api("PATCH", `/integrations/${id}`, { enabled: false });
      assert.equal(off.status, 200);
      assert.equal(off.body.enabled, false);
      assert.equal((await audit("integration.disabled")).length, 1);
      const again = await owner.api("PATCH", `/integrations/${id}`, { enabled: false });
      assert.equal(again.body.enabled, false);
      assert.equal((await audit("integration.disabled")).length, 1, "no change, no entry");
      assert.equal((await owner.api("PATCH", `/integrations/${id}`, { enabled: true })).body.enabled, true);

      assert.equal((await owner.api("DELETE", `/integrations/${out.body.id}`)).status, 204);
      assert.equal((await audit("integration.deleted")).length, 1);
      assert.equal((await owner.api("GET", "/integrations")).body.integrations.length, 1);
    });

    it("refuses bad input with stable codes and writes nothing", async () => {
      const before = await counts();
      const refused = async (b: unknown, status: number, code: string, reason?: string) => {
        const r = await owner.api("POST", "/integrations", b);
        assert.equal(r.status, status, JSON.stringify(r.body));
        assert.equal(r.body.code, code);
        if (reason) assert.equal(r.body.details.reason, reason);
      };
      await refused(body({ kind: "sideways" }), 400, "validation_failed");
      await refused(body({ name: "" }), 400, "validation_failed");
      await refused(body({ runsAt: "x".repeat(201) }), 400, "validation_failed");
      await refused(body({ secret: "nope" }), 400, "validation_failed");
      await refused({ kind: "incoming" }, 400, "validation_failed");
      await refused(body({ botUserId: member.user.id }), 400, "integration_invalid", "bot_not_service_account");
      await refused(body({ botUserId: otherOrg.user.id }), 404, "not_found");
      await refused(body({ channelId: "ch_nope" }), 404, "not_found");
      await refused(body({ channelId: lonely }), 400, "integration_invalid", "bot_not_member");
      await refused(body({ botUserId: otherBot.user.id }), 400, "integration_invalid", "bot_not_member");
      await refused(body(), 409, "already_exists");
      const asMember = await member.api("POST", "/integrations", body({ name: "mine" }));
      assert.equal(asMember.status, 403);
      const asBot = await bot.api("POST", "/integrations", body({ name: "self-made" }));
      assert.equal(asBot.status, 403);
      assert.equal((await owner.api("PATCH", "/integrations/itg_nope", { enabled: "no" })).status, 400);
      assert.deepEqual(await counts(), before);
    });

    it("another org's admin neither lists, changes, deletes nor reads the dead letters of an integration", async () => {
      const id = (await owner.api("GET", "/integrations")).body.integrations[0].id as string;
      const before = await counts();
      assert.deepEqual((await otherOrg.api("GET", "/integrations")).body.integrations, []);
      assert.equal((await otherOrg.api("PATCH", `/integrations/${id}`, { enabled: false })).status, 404);
      assert.equal((await otherOrg.api("DELETE", `/integrations/${id}`)).status, 404);
      assert.equal((await otherOrg.api("GET", `/integrations/${id}/dead-letters`)).status, 404);
      const cross = await otherOrg.api("POST", "/integrations", body({ name: "stolen" }));
      assert.equal(cross.status, 404, "another org's bot and channel are not found");
      assert.deepEqual(await counts(), before);
      assert.equal((await owner.api("GET", "/integrations")).body.integrations[0].enabled, true);
    });

    it("the bot reports dead letters (metadata only, idempotent by delivery id); admins list them; others cannot report", async () => {
      const id = (await owner.api("GET", "/integrations")).body.integrations[0].id as string;
      const dl = {
        deliveryId: "dlv_abc",
        channelId: ch,
        seq: 7,
        targetHost: "hooks.example.com:443",
        lastStatus: 503,
        lastError: "http_503",
        attempts: 8,
        failedAt: 1_700_000_000_000,
      };
      const r = await bot.api("POST", `/integrations/${id}/dead-letters`, dl);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(r.body, { integrationId: id, ...dl });
      const again = await bot.api("POST", `/integrations/${id}/dead-letters`, { ...dl, attempts: 9 });
      assert.deepEqual(again.body, r.body, "the first report stands");
      assert.equal((await audit("integration.dead_letter")).length, 1);

      const before = await counts();
      assert.equal((await otherBot.api("POST", `/integrations/${id}/dead-letters`, { ...dl, deliveryId: "dlv_x" })).status, 404, "not its integration");
      assert.equal((await owner.api("POST", `/integrations/${id}/dead-letters`, { ...dl, deliveryId: "dlv_y" })).status, 404, "admins do not report");
      assert.equal((await bot.api("POST", `/integrations/${id}/dead-letters`, { ...dl, deliveryId: "dlv_z", text: "secret" })).status, 400, "no content field");
      assert.equal((await bot.api("POST", `/integrations/${id}/dead-letters`, { ...dl, deliveryId: "dlv_w", channelId: lonely })).body.code, "bad_request");
      assert.equal((await bot.api("POST", `/integrations/${id}/dead-letters`, { ...dl, deliveryId: "dlv_v", attempts: 0 })).status, 400);
      assert.deepEqual(await counts(), before);

      const list = await owner.api("GET", `/integrations/${id}/dead-letters`);
      assert.deepEqual(list.body.deadLetters, [{ integrationId: id, ...dl }]);
      assert.equal((await member.api("GET", `/integrations/${id}/dead-letters`)).status, 403);
      // Deleting the integration deletes its dead letters.
      assert.equal((await owner.api("DELETE", `/integrations/${id}`)).status, 204);
      assert.equal(await countRows(s, "integration_dead_letters"), 0);
    });
  });
}
