import { test } from "node:test";
import assert from "node:assert/strict";
import { commandOf, parseSlashCommand, slashCommandContent } from "./slash-command.ts";

test("a /name args line parses to its command; other text does not", () => {
  assert.deepEqual(parseSlashCommand("  /Ticket   Printer on fire \n"), { name: "ticket", args: "Printer on fire" });
  assert.deepEqual(parseSlashCommand("/status"), { name: "status", args: "" });
  assert.deepEqual(parseSlashCommand("/note line one\nline two"), { name: "note", args: "line one\nline two" });
  for (const text of ["hello", "/", "/ x", "a /ticket", "/-x", `/${"a".repeat(33)}`]) assert.equal(parseSlashCommand(text), undefined, text);
});

test("the content of a command message carries the text and the command (and the bot it is meant for)", () => {
  assert.deepEqual(slashCommandContent("/ticket Jam", "usr_bot"), { text: "/ticket Jam", command: { name: "ticket", args: "Jam", bot: "usr_bot" } });
  assert.deepEqual(slashCommandContent("/ticket"), { text: "/ticket", command: { name: "ticket", args: "" } });
  assert.equal(slashCommandContent("not one"), undefined);
});

test("a received command is checked, never trusted as typed", () => {
  assert.deepEqual(commandOf({ text: "/x", command: { name: "x", args: "a", bot: "usr_b" } }), { name: "x", args: "a", bot: "usr_b" });
  assert.deepEqual(commandOf({ command: { name: "x", args: "", bot: 7 } }), { name: "x", args: "" });
  for (const command of [undefined, "x", { name: "x" }, { name: 1, args: "" }, { name: "Bad Name", args: "" }, null])
    assert.equal(commandOf({ command }), undefined);
});
