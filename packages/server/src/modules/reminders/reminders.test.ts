/**
 * Reminders on the server: create, list, snooze, dismiss; bad input refused with nothing written;
 * another user's or org's reminder is not found; the firing job appends `reminder.due` to the
 * user's stream exactly once (also when it runs again) and fires after a restart a reminder that
 * fell due while the server was down.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { REMINDER_LIMITS, type Reminder, type ServerFrameOf } from "@parley/protocol";
import { DIALECTS, createTestDatabase, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { waitUntil } from "../../testing/jobs.ts";
import { connectUser } from "../../gateway/test-client.ts";
import { fireReminder } from "./fire.ts";

const dueItems = (s: TestServer, userId: string) =>
  s.deps.db.selectFrom("user_stream").selectAll().where("user_id", "=", userId).where("kind", "=", "reminder.due").execute();

for (const dialect of DIALECTS) {
  describe(`reminders (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let alice: TestUser;
    let bob: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      alice = await makeUser(s, owner);
      bob = await makeUser(s, owner);
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());

    it("sets, lists, snoozes and dismisses a reminder: the row holds a time and a state, nothing else", async () => {
      const dueAt = Date.now() + 3_600_000;
      const res = await alice.api("POST", "/me/reminders", { dueAt });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const r = res.body as Reminder;
      assert.match(r.id, /^rem_/);
      assert.equal(r.dueAt, dueAt);
      assert.equal(r.state, "pending");
      assert.equal(r.firedAt, null);
      const listed = (await alice.api("GET", "/me/reminders")).body.reminders as Reminder[];
      assert.deepEqual(
        listed.find((x) => x.id === r.id),
        r,
      );
      const row = await s.deps.db.selectFrom("reminders").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
      assert.deepEqual(Object.keys(row).sort(), ["created_at", "due_at", "fired_at", "id", "org_id", "state", "user_id"]);
      // Snooze: another time, another job.
      const later = dueAt + 600_000;
      const moved = await alice.api("PATCH", `/me/reminders/${r.id}`, { dueAt: later });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.dueAt, later);
      const jobs = await s.deps.db.selectFrom("jobs").select(["run_at"]).where("name", "=", "reminders.fire").where("payload", "like", `%${r.id}%`).execute();
      assert.deepEqual(jobs.map((j) => Number(j.run_at)).sort(), [dueAt, later]);
      // The earlier job finds it not yet due: nothing fires.
      assert.equal(await fireReminder(s.deps, r.id), false);
      assert.equal((await alice.api("DELETE", `/me/reminders/${r.id}`)).status, 204);
      assert.equal((await alice.api("DELETE", `/me/reminders/${r.id}`)).status, 404);
      assert.equal(
        (await alice.api("GET", "/me/reminders")).body.reminders.some((x: Reminder) => x.id === r.id),
        false,
      );
    });

    it("refuses bad input with a stable code and writes nothing", async () => {
      const before = await countRows(s, "reminders");
      const cases: Array<[unknown, number, string, string?]> = [
        [{ dueAt: Date.now() - 3_600_000 }, 400, "reminder_due_invalid", "past"],
        [{ dueAt: Date.now() + REMINDER_LIMITS.maxAheadMs + 3_600_000 }, 400, "reminder_due_invalid", "too_far"],
        [{ dueAt: "tomorrow" }, 400, "validation_failed"],
        [{ dueAt: -5 }, 400, "validation_failed"],
        [{}, 400, "validation_failed"],
      ];
      for (const [body, status, code, reason] of cases) {
        const res = await alice.api("POST", "/me/reminders", body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.equal(res.body.code, code);
        if (reason) assert.equal(res.body.details.reason, reason);
      }
      const r = (await alice.api("POST", "/me/reminders", { dueAt: Date.now() + 60_000 })).body as Reminder;
      const past = await alice.api("PATCH", `/me/reminders/${r.id}`, { dueAt: 1 });
      assert.equal(past.status, 400);
      assert.equal(past.body.code, "reminder_due_invalid");
      assert.equal((await alice.api("GET", "/me/reminders?state=bogus")).status, 400);
      assert.equal(await countRows(s, "reminders"), before + 1);
      assert.equal(Number((await s.deps.db.selectFrom("reminders").select("due_at").where("id", "=", r.id).executeTakeFirstOrThrow()).due_at), r.dueAt);
      await alice.api("DELETE", `/me/reminders/${r.id}`);
    });

    it("keeps each user's reminders to themselves: another user or org cannot list, move or delete them", async () => {
      const r = (await alice.api("POST", "/me/reminders", { dueAt: Date.now() + 3_600_000 })).body as Reminder;
      for (const intruder of [bob, other]) {
        assert.equal(
          (await intruder.api("GET", "/me/reminders")).body.reminders.some((x: Reminder) => x.id === r.id),
          false,
        );
        const moved = await intruder.api("PATCH", `/me/reminders/${r.id}`, { dueAt: Date.now() + 60_000 });
        assert.equal(moved.status, 404);
        assert.equal(moved.body.code, "not_found");
        assert.equal((await intruder.api("DELETE", `/me/reminders/${r.id}`)).status, 404);
      }
      const row = await s.deps.db.selectFrom("reminders").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
      assert.equal(Number(row.due_at), r.dueAt);
      await alice.api("DELETE", `/me/reminders/${r.id}`);
    });

    it("fires a due reminder once: a reminder.due item on the user's stream, live to their devices, the row marked fired", async () => {
      const sock = await connectUser(s.url, alice.accessToken);
      try {
        const mark = sock.frames.length;
        const r = (await alice.api("POST", "/me/reminders", { dueAt: Date.now() + 500 })).body as Reminder;
        const live = await sock.waitFor<ServerFrameOf<"user">>((f) => f.t === "user" && f.item.kind === "reminder.due", 15_000, mark);
        assert.deepEqual(live.item.data, { reminderId: r.id, dueAt: r.dueAt });
        const fired = (await alice.api("GET", "/me/reminders?state=fired")).body.reminders as Reminder[];
        const mine = fired.find((x) => x.id === r.id);
        assert.equal(mine?.state, "fired");
        assert.ok(mine.firedAt! >= r.dueAt);
        // The job running again (a lost lease, a retry) appends nothing more.
        assert.equal(await fireReminder(s.deps, r.id), false);
        assert.equal((await dueItems(s, alice.user.id)).filter((i) => JSON.parse(i.data).reminderId === r.id).length, 1);
        // Snoozing a fired reminder makes it pending again, and it fires again at its new time.
        const again = await alice.api("PATCH", `/me/reminders/${r.id}`, { dueAt: Date.now() + 300 });
        assert.equal(again.body.state, "pending");
        await waitUntil(
          async () => (await dueItems(s, alice.user.id)).filter((i) => JSON.parse(i.data).reminderId === r.id).length === 2,
          15_000,
          "the snoozed reminder fires",
        );
        assert.equal((await dueItems(s, bob.user.id)).length, 0, "nothing reaches another user");
      } finally {
        sock.close();
      }
    });
  });

  describe(`reminders across a restart (${dialect})`, () => {
    it("a reminder that fell due while the server was down fires once when the next server starts", async () => {
      const database = await createTestDatabase(dialect);
      let s: TestServer | undefined = await startTestServer({ database });
      try {
        const owner = await bootstrapOrg(s);
        const alice = await makeUser(s, owner);
        const r = (await alice.api("POST", "/me/reminders", { dueAt: Date.now() + 1_500 })).body as Reminder;
        await s.stop();
        s = undefined;
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        s = await startTestServer({ database });
        const live = s;
        await waitUntil(async () => (await dueItems(live, alice.user.id)).length === 1, 20_000, "the reminder fires after the restart");
        const row = await s.deps.db.selectFrom("reminders").selectAll().where("id", "=", r.id).executeTakeFirstOrThrow();
        assert.equal(row.state, "fired");
        // Another restart does not fire it again.
        await s.stop();
        s = await startTestServer({ database });
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        assert.equal((await dueItems(s, alice.user.id)).length, 1);
      } finally {
        await s?.stop();
        await database.drop();
      }
    });
  });
}
