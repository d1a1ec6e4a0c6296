import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChannelCommand } from "@parley/protocol";
import { commandFor, commandQueryAt, matchCommands } from "./slash-commands.ts";

const cmd = (name: string, botUserId: string | null): ChannelCommand => ({
  name,
  description: name,
  usage: "",
  source: botUserId ? "bot" : "builtin",
  botUserId,
});
const commands = [cmd("poll", null), cmd("ticket", "usr_a"), cmd("ticket", "usr_b"), cmd("tldr", "usr_a")];

test("the command name is being typed only at the start, before any space", () => {
  assert.deepEqual(commandQueryAt("/", 1), { query: "" });
  assert.deepEqual(commandQueryAt("/Ti", 3), { query: "ti" });
  assert.equal(commandQueryAt("/ticket x", 9), undefined);
  assert.equal(commandQueryAt("hi /ticket", 10), undefined);
  assert.equal(commandQueryAt("", 0), undefined);
});

test("matching by prefix keeps the listed order", () => {
  assert.deepEqual(
    matchCommands(commands, "t").map((c) => `${c.name}:${c.botUserId}`),
    ["ticket:usr_a", "ticket:usr_b", "tldr:usr_a"],
  );
  assert.deepEqual(matchCommands(commands, "x"), []);
});

test("what a sent text runs: the picked bot's command, else the first with that name; unknown text stays text", () => {
  assert.deepEqual(commandFor("/ticket Printer", commands, commands[2]), { bot: "usr_b" });
  assert.deepEqual(commandFor("/ticket Printer", commands), { bot: "usr_a" });
  assert.deepEqual(commandFor("/tldr", commands, commands[2]), { bot: "usr_a" }, "a pick of another name does not count");
  assert.deepEqual(commandFor("/poll Lunch?", commands), {}, "built-ins name no bot");
  assert.equal(commandFor("/shrug", commands), undefined);
  assert.equal(commandFor("not a command", commands), undefined);
});
