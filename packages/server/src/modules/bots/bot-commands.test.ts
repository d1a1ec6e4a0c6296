/** Slash commands of bots: registration (service accounts only, audited, idempotent), the channel list, bad input, other orgs. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_COMMANDS, type AuthTokens, type ChannelCommand } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { asTestUser, bootstrapOrg, call, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { listChannelCommands } from "./commands.ts";

/** A service account made by `admin`, signed in with a fresh API key of `scopes`. */
async function makeBot(s: TestServer, admin: TestUser, username: string, scopes = ["read", "write"]): Promise<TestUser> {
  const account = await admin.api("POST", "/service-accounts", { username, displayName: `${username} bot` });
  assert.equal(account.status, 201);
  const key = await admin.api("POST", `/service-accounts/${account.body.id as string}/api-keys`, { name: "bot", scopes });
  assert.equal(key.status, 201);
  const tokens = await call<AuthTokens>(s, "POST", "/auth/api-key", { key: key.body.key, deviceName: `${username} runtime` });
  assert.equal(tokens.status, 200);
  return asTestUser(s, tokens.body, "");
}

const TICKET = { name: "ticket", description: "Open a ticket", usage: "<title>" };
const DEPLOY = { name: "deploy", description: "Deploy a service", usage: "<service> [env]" };

for (const dialect of DIALECTS) {
  describe(`bot commands (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bot: TestUser;
    let other: TestUser;
    let ch: string;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bot = await makeBot(s, owner, "tickets");
      other = await makeOrg(s, "other");
      ch = (await alice.api("POST", "/channels", { kind: "private", name: "support", members: [bot.user.id] })).body.id;
    });
    after(() => s.stop());
    const counts = async () => ({ commands: await countRows(s, "bot_commands"), audit: await countRows(s, "audit_log") });

    it("a bot registers its commands; the channel lists them; the same set again writes nothing; a change is audited", async () => {
      const r = await bot.api("PUT", "/me/bot-commands", { commands: [TICKET, DEPLOY] });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(
        r.body.commands.map((c: { name: string }) => c.name),
        ["deploy", "ticket"],
      );
      const listed = await alice.api("GET", `/channels/${ch}/commands`);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body.commands, [
        ...BUILTIN_COMMANDS.map((c) => ({ ...c, source: "builtin" as const, botUserId: null })),
        { ...DEPLOY, source: "bot", botUserId: bot.user.id },
        { ...TICKET, source: "bot", botUserId: bot.user.id },
      ] satisfies ChannelCommand[]);
      assert.deepEqual((await bot.api("GET", "/me/bot-commands")).body.commands, r.body.commands);

      const quiet = await counts();
      assert.deepEqual((await bot.api("PUT", "/me/bot-commands", { commands: [DEPLOY, TICKET] })).body, r.body);
      assert.deepEqual(await counts(), quiet, "the same set writes nothing");

      const changed = await bot.api("PUT", "/me/bot-commands", { commands: [{ ...TICKET, usage: "<title> [priority]" }] });
      assert.equal(changed.status, 200);
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "details", "target_id"])
        .where("action", "=", "bot.commands.changed")
        .orderBy("seq")
        .execute();
      assert.equal(audit.length, 2);
      assert.equal(audit[1]!.target_id, bot.user.id);
      assert.deepEqual({ ...(JSON.parse(String(audit[1]!.details)) as object) }, { added: [], removed: ["deploy"], changed: ["ticket"], count: 1 });
      // Metadata only: the table has no column for message content.
      const row = await s.deps.db.selectFrom("bot_commands").selectAll().executeTakeFirstOrThrow();
      assert.deepEqual(Object.keys(row).sort(), ["description", "name", "org_id", "updated_at", "usage", "user_id"]);
    });

    it("lists built-ins first (data-driven), and only the commands of bots that are members", async () => {
      const other = await makeBot(s, owner, "elsewhere");
      assert.equal((await other.api("PUT", "/me/bot-commands", { commands: [{ name: "weather", description: "Weather", usage: "" }] })).status, 200);
      const p = {
        kind: "device" as const,
        orgId: alice.org.id,
        userId: alice.user.id,
        deviceId: alice.tokens.deviceId,
        sessionId: alice.tokens.sessionId,
        role: "member" as const,
      };
      const list = await listChannelCommands(s.deps, p, ch, [{ name: "remind", description: "Remind me", usage: "<when> <what>" }]);
      assert.deepEqual(
        list.map((c) => [c.name, c.source]),
        [
          ["remind", "builtin"],
          ["ticket", "bot"],
        ],
      );
      // Once the bot is added to the channel its command is listed too.
      assert.equal((await alice.api("POST", `/channels/${ch}/members`, { userIds: [other.user.id] })).status, 200);
      const names = (await alice.api("GET", `/channels/${ch}/commands`)).body.commands.map((c: ChannelCommand) => c.name);
      assert.deepEqual(names, ["poll", "remind", "ticket", "weather"]);
    });

    it("refuses people, duplicate names, bad names and too many commands: clear 4xx, nothing written", async () => {
      const before = await counts();
      const person = await alice.api("PUT", "/me/bot-commands", { commands: [TICKET] });
      assert.equal(person.status, 403);
      assert.equal(person.body.code, "forbidden");
      for (const commands of [
        [TICKET, TICKET],
        [{ ...TICKET, name: "Ticket!" }],
        [{ ...TICKET, description: "" }],
        Array.from({ length: 51 }, (_, i) => ({ ...TICKET, name: `c${i}` })),
      ]) {
        const r = await bot.api("PUT", "/me/bot-commands", { commands });
        assert.equal(r.status, 400, JSON.stringify(commands).slice(0, 80));
        assert.equal(r.body.code, "validation_failed");
      }
      assert.equal((await bot.api("PUT", "/me/bot-commands", {})).status, 400);
      assert.deepEqual(await counts(), before);
    });

    it("another org's principal finds no channel and learns no command", async () => {
      const r = await other.api("GET", `/channels/${ch}/commands`);
      assert.equal(r.status, 404);
      assert.equal(JSON.stringify(r.body).includes("ticket"), false);
      // A member of the org who is not in the private channel cannot list it either.
      const outsider = await makeUser(s, owner);
      assert.equal((await outsider.api("GET", `/channels/${ch}/commands`)).status, 404);
    });
  });
}
