/**
 * Polls: the `/poll` argument forms and their errors, the tally rules, and a poll end to end on a
 * real server — sent encrypted, voted on by reactions, tallied on every member's device, with the
 * question and options never in the server's database.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { startLivePair, until } from "./testing/e2ee-clients.ts";
import { type ParleyClient, ParleyError, POLL_KEYS, Timeline, parsePollCommand, pollOf, tallyPoll, votesToRetract } from "./index.ts";

test("parsePollCommand: quoted and pipe forms, --multiple, and a clear error for each bad form", () => {
  assert.deepEqual(parsePollCommand(' "Lunch?" "Pizza"  "Sushi \\"omakase\\"" '), {
    question: "Lunch?",
    options: ["Pizza", 'Sushi "omakase"'],
    multiple: false,
  });
  assert.deepEqual(parsePollCommand("--multiple Where? | Berlin | Lisbon | "), { question: "Where?", options: ["Berlin", "Lisbon"], multiple: true });
  const bad: Array<[string, RegExp]> = [
    ["", /at least two options/],
    ["Lunch? Pizza Sushi", /at least two options/],
    ['"Lunch?" "Pizza', /unbalanced quotes/],
    ['"Lunch?" "Pizza"', /2 to 10 options \(this one has 1\)/],
    [`Q | ${Array.from({ length: 11 }, (_, i) => `o${i}`).join(" | ")}`, /this one has 11/],
    ["Q | pizza | Pizza", /given twice/],
    [` | a | b`, /needs a question/],
    [`${"q".repeat(301)} | a | b`, /longer than 300/],
    [`Q | ${"o".repeat(101)} | b`, /longer than 100/],
  ];
  for (const [args, message] of bad)
    assert.throws(
      () => parsePollCommand(args),
      (err: unknown) => err instanceof ParleyError && err.code === "bad_request" && message.test(err.message),
      args,
    );
});

test("tallyPoll and votesToRetract: one vote per user in a single-choice poll, several with --multiple", () => {
  const single = { question: "Q", options: ["a", "b", "c"], multiple: false };
  const reactions = new Map([
    [POLL_KEYS[0], new Set(["u1", "u2"])],
    [POLL_KEYS[1], new Set(["u2", "u3"])],
    ["👍", new Set(["u4"])],
  ]);
  assert.deepEqual(
    tallyPoll(single, reactions).map((t) => t.voters),
    [["u1", "u2"], ["u3"], []],
  );
  assert.deepEqual(
    tallyPoll({ ...single, multiple: true }, reactions).map((t) => t.voters),
    [["u1", "u2"], ["u2", "u3"], []],
  );
  assert.deepEqual(votesToRetract(single, reactions, "u2", 2), [POLL_KEYS[0], POLL_KEYS[1]]);
  assert.deepEqual(votesToRetract({ ...single, multiple: true }, reactions, "u2", 2), []);
  assert.equal(pollOf({ poll: { question: "Q", options: ["a"] } }), undefined, "a malformed poll is shown as its text");
  assert.equal(pollOf({ text: "hi" }), undefined);
});

test("a poll end to end: encrypted, voted by reactions, tallied on both devices; the server holds none of its text", async (t) => {
  const { server, alice, bob } = await startLivePair(t);
  const channelId = (await alice.createChannel({ kind: "private", name: "polls", members: [bob.userId] })).id;
  const views = new Map([alice, bob].map((c) => [c, new Timeline(channelId)]));
  const polls = new Map<ParleyClient, ReturnType<typeof pollOf>>();
  for (const [c, view] of views)
    c.on("event", (e) => {
      view.apply(e);
      if (e.kind === "message" && pollOf(e.content)) polls.set(c, pollOf(e.content));
    });
  const QUESTION = "canary-poll-question-7f3a where do we offsite";
  const seq = (await alice.sendPoll(channelId, parsePollCommand(`"${QUESTION}" "canary-option-lisbon" "canary-option-oslo"`))).event.seq;
  await bob.react(channelId, seq, POLL_KEYS[1]);
  await alice.react(channelId, seq, POLL_KEYS[1]);
  const tallied = async (c: ParleyClient) => {
    await until(() => polls.has(c) && views.get(c)!.get(seq)?.reactions.get(POLL_KEYS[1])?.size === 2, "the poll and its votes");
    return tallyPoll(polls.get(c)!, views.get(c)!.get(seq)!.reactions).map((x) => [x.option, x.voters.length]);
  };
  const expected = [
    ["canary-option-lisbon", 0],
    ["canary-option-oslo", 2],
  ];
  assert.deepEqual(await tallied(alice), expected);
  assert.deepEqual(await tallied(bob), expected);
  const rows = await server.deps.db.selectFrom("events").selectAll().where("channel_id", "=", channelId).execute();
  const dump = JSON.stringify(rows, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString("latin1") : v));
  assert.ok(rows.length >= 3);
  for (const needle of ["canary-poll-question", "canary-option", "offsite"]) assert.ok(!dump.includes(needle), `the server's events hold "${needle}"`);
});
