/**
 * Mention email (issue 13) through a real SMTP server, on SQLite and PostgreSQL: after the delay a
 * user offline gets one email with counts and channel names — no message text (a canary in every
 * message is absent from the whole email), no muted channel, no channel a policy forbids; nothing
 * when they came online meanwhile or read the mentions; at most one per window; the unsubscribe
 * link and the RFC 8058 one-click POST its List-Unsubscribe header names work without signing in,
 * are idempotent and audited; a bad token is a stable error.
 * The delay is fast-forwarded by moving the queued check's run_at (the job runner's clock is the
 * wall clock).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { startTestSmtp, linkIn, type TestSmtp } from "../../testing/smtp.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { MENTION_EMAIL_JOB } from "./mention-email.ts";
import { unsubscribeToken } from "./unsubscribe.ts";

const CANARY = "CANARY-mention-7f3a9 the merger plan";
let n = 0;

async function say(u: TestUser, channelId: string, mentions: string[] = []): Promise<number> {
  const r = await u.api("POST", `/channels/${channelId}/events`, {
    clientId: `mention-email-${process.pid}-${++n}`,
    kind: "message",
    content: Buffer.from(`${CANARY} #${n}`).toString("base64"),
    mentions,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.event.seq as number;
}

for (const dialect of DIALECTS) {
  describe(`mention email (${dialect})`, () => {
    let s: TestServer;
    let smtp: TestSmtp;
    let owner: TestUser;
    const checks = (userId: string) =>
      s.deps.db
        .selectFrom("jobs")
        .select(["id", "state", "payload", "run_at"])
        .where("name", "=", MENTION_EMAIL_JOB)
        .where("payload", "like", `%${userId}%`)
        .execute();
    /** Run the user's queued checks now (as if their delay had passed) and wait until they are done. */
    async function runChecks(userId: string): Promise<void> {
      const ids = (await checks(userId)).filter((j) => j.state === "queued" && Number(j.run_at) <= Date.now() + 3 * 3600_000).map((j) => j.id);
      assert.ok(ids.length > 0, "a check is queued");
      await s.deps.db.updateTable("jobs").set({ run_at: 0 }).where("id", "in", ids).execute();
      for (let i = 0; i < 200; i++) {
        const rows = await s.deps.db.selectFrom("jobs").select("state").where("id", "in", ids).execute();
        if (rows.every((r) => r.state === "done")) return;
        assert.ok(!rows.some((r) => r.state === "dead"), "the check failed");
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail("the check did not run");
    }
    /** Forget finished checks (as the job purge would), so the next mention queues a new one. */
    const purgeDone = () => s.deps.db.deleteFrom("jobs").where("name", "=", MENTION_EMAIL_JOB).where("state", "=", "done").execute();
    async function userWithEmail(address: string): Promise<TestUser> {
      const u = await makeUser(s, owner);
      assert.equal((await owner.api("PUT", `/users/${u.user.id}/email`, { email: address })).status, 200);
      const on = await u.api("PATCH", "/me/notifications", { email: { enabled: true, delayMinutes: 5 } });
      assert.equal(on.status, 200, JSON.stringify(on.body));
      assert.deepEqual(on.body.email, { enabled: true, delayMinutes: 5 });
      // The sign-in stamped the device as seen; mentions come strictly later.
      await new Promise((r) => setTimeout(r, 5));
      return u;
    }

    before(async () => {
      smtp = await startTestSmtp();
      s = await startTestServer({ dialect, config: { smtpUrl: smtp.url, smtpRequireTls: false, mentionEmailWindowMinutes: 60 } });
      owner = await bootstrapOrg(s, { orgSlug: `mention-email-${dialect}` });
    });
    after(async () => {
      await s.stop();
      await smtp.stop();
    });

    it("emails counts and channel names after the delay, never the text; one per window; unsubscribe", async () => {
      const bob = await userWithEmail("bob@example.org");
      const ch = async (name: string) => (await owner.api("POST", "/channels", { kind: "private", name, members: [bob.user.id] })).body.id as string;
      const [general, ops, quiet, sealed] = [await ch("general-mx"), await ch("ops-mx"), await ch("muted-mx"), await ch("sealed-mx")];
      assert.equal((await bob.api("PUT", `/me/notifications/channels/${quiet}`, { level: "muted" })).status, 200);
      assert.equal((await owner.api("PUT", `/channels/${sealed}/labels`, { labels: ["sealed"] })).status, 200);
      const policy = await owner.api("POST", "/org/policies", {
        name: "sealed: no members",
        text: `forbid (principal, action == Action::"channel.read", resource) when { principal.role == "member" && resource.labels.contains("sealed") };`,
      });
      assert.equal(policy.status, 201, JSON.stringify(policy.body));

      await say(owner, general, [bob.user.id]);
      await say(owner, general, [bob.user.id]);
      await say(owner, general); // not a mention
      await say(owner, ops, [bob.user.id]);
      await say(owner, quiet, [bob.user.id]);
      await say(owner, sealed, [bob.user.id]);
      const queued = await checks(bob.user.id);
      assert.equal(queued.length, 1, "one check per user per delay period");
      assert.ok(Number(queued[0]!.run_at) >= Date.now() + 4 * 60_000, "due after the user's delay");
      assert.equal(smtp.to("bob@example.org").length, 0, "nothing before the delay");

      await runChecks(bob.user.id);
      const mail = await smtp.waitFor((m) => m.to.includes("bob@example.org"));
      assert.match(mail.subject, /^3 unread mentions in /);
      assert.match(mail.text, /#general-mx: 2 mentions/);
      assert.match(mail.text, /#ops-mx: 1 mention\b/);
      for (const absent of ["CANARY", "merger", "muted-mx", "sealed-mx"]) assert.ok(!mail.raw.includes(absent), `the email does not contain ${absent}`);
      assert.ok(!mail.html.includes("CANARY") && !mail.text.includes("CANARY"));

      // A new mention within the window: the check sends nothing and waits for the window's end.
      await purgeDone();
      await say(owner, ops, [bob.user.id]);
      await runChecks(bob.user.id);
      assert.equal(smtp.to("bob@example.org").length, 1, "at most one email per window");
      const later = (await checks(bob.user.id)).filter((j) => j.state === "queued");
      assert.equal(later.length, 1, "the check is moved to the end of the window");
      assert.ok(Number(later[0]!.run_at) > Date.now() + 50 * 60_000);

      // RFC 8058 headers: the mail client's one-click unsubscribe POSTs to the token's URL.
      const head = mail.raw.slice(0, mail.raw.search(/\r?\n\r?\n/)).replace(/\r?\n[ \t]+/g, " ");
      const token = linkIn(mail, `${s.url}/unsubscribe#token=`).split("#token=")[1]!;
      assert.match(head, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
      const listUnsubscribe = /^List-Unsubscribe: <([^>]+)>$/m.exec(head)?.[1]?.replace(/\s+/g, "");
      assert.equal(listUnsubscribe, `${s.url}/mail/unsubscribe?token=${token}`, head);
      const oneClick = (body: string, url = listUnsubscribe!) =>
        fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body });
      // A POST without the one-click form, or with a bad token, changes nothing; a GET is no unsubscribe.
      assert.equal((await oneClick("List-Unsubscribe=Other")).status, 400);
      assert.equal((await oneClick("List-Unsubscribe=One-Click", `${s.url}/mail/unsubscribe?token=garbage`)).status, 400);
      assert.equal((await fetch(listUnsubscribe!)).status, 404);
      assert.equal((await bob.api("GET", "/me/notifications")).body.email.enabled, true);

      // Unsubscribe: no sign-in (the one-click POST, or the link's page), idempotent, audited.
      const first = await oneClick("List-Unsubscribe=One-Click");
      assert.deepEqual([first.status, await first.json()], [200, { changed: true }]);
      const again = await call(s, "POST", "/notifications/email/unsubscribe", { token });
      assert.deepEqual([again.status, again.body], [200, { changed: false }]);
      assert.equal((await bob.api("GET", "/me/notifications")).body.email.enabled, false);
      const audit = await s.deps.db.selectFrom("audit_log").select(["target_id", "details"]).where("action", "=", "notifications.email.unsubscribed").execute();
      assert.deepEqual(
        audit.map((a) => [a.target_id, JSON.parse(a.details).changed]),
        [
          [bob.user.id, true],
          [bob.user.id, false],
        ],
      );
      // Turned off, the waiting check sends nothing either.
      await s.deps.db.updateTable("notification_settings").set({ email_sent_at: 0 }).where("user_id", "=", bob.user.id).execute();
      await runChecks(bob.user.id);
      assert.equal(smtp.to("bob@example.org").length, 1);
    });

    it("sends nothing when the user came online meanwhile or read the mentions", async () => {
      const carol = await userWithEmail("carol@example.org");
      const erin = await userWithEmail("erin@example.org");
      const room = (await owner.api("POST", "/channels", { kind: "private", name: "room-mx", members: [carol.user.id, erin.user.id] })).body.id as string;
      const seq = await say(owner, room, [carol.user.id, erin.user.id]);
      // Carol opens the app (a socket) and leaves again before the delay is over.
      const sock = await connectUser(s.url, carol.accessToken);
      await sock.close();
      // Erin reads the channel from another client without a socket.
      assert.equal((await erin.api("POST", `/channels/${room}/read`, { seq })).status, 200);
      await runChecks(carol.user.id);
      await runChecks(erin.user.id);
      // A third, offline, user proves the checks ran and the SMTP path works.
      const fay = await userWithEmail("fay@example.org");
      assert.equal((await owner.api("POST", `/channels/${room}/members`, { userIds: [fay.user.id] })).status < 300, true);
      await say(owner, room, [fay.user.id]);
      await runChecks(fay.user.id);
      await smtp.waitFor((m) => m.to.includes("fay@example.org"));
      assert.equal(smtp.to("carol@example.org").length, 0, "carol was online meanwhile");
      assert.equal(smtp.to("erin@example.org").length, 0, "erin read the mention");
    });

    it("refuses a bad unsubscribe token with a stable error and changes nothing", async () => {
      const gus = await userWithEmail("gus@example.org");
      const other = await makeOrg(s);
      const good = JSON.parse(Buffer.from(await unsubscribeToken(s.deps, owner.org.id, gus.user.id), "base64url").toString("utf8")) as { o: string; s: string };
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const flipped = good.s.slice(0, -6) + (good.s.at(-6) === "A" ? "B" : "A") + good.s.slice(-5);
      const bad = ["garbage", "", enc({}), enc({ o: owner.org.id, s: "kms2:AAAA" }), enc({ ...good, o: other.org.id }), enc({ ...good, s: flipped })];
      for (const token of bad) {
        const r = await call(s, "POST", "/notifications/email/unsubscribe", { token });
        assert.equal(r.status, 400, token);
        assert.equal(r.body.code, token === "" ? "validation_failed" : "unsubscribe_token_invalid", token);
      }
      assert.equal((await gus.api("GET", "/me/notifications")).body.email.enabled, true);
    });
  });
}
