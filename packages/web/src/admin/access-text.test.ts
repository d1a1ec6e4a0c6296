import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ParleyError } from "@parley/sdk";
import { describePolicyRefusal, parseLabels } from "./access-text.ts";
import { consoleTabs } from "../components/admin/console-tabs.ts";

describe("channel labels as typed", () => {
  test("commas and spaces separate; lower-cased and de-duplicated", () => {
    assert.deepEqual(parseLabels(" Confidential, finance  confidential,"), { labels: ["confidential", "finance"] });
    assert.deepEqual(parseLabels(""), { labels: [] });
  });
  test("a label breaking the rule is named; at most 8", () => {
    assert.match((parseLabels("ok, -bad") as { error: string }).error, /"-bad" is not a label/);
    assert.deepEqual(parseLabels("a b c d e f g h i"), { error: "A channel has at most 8 labels." });
  });
});

describe("a refused policy", () => {
  test("policy_invalid lists the problems; policy_lockout names the policies", () => {
    const invalid = new ParleyError({
      code: "policy_invalid",
      status: 400,
      message: "x",
      details: { problems: [{ message: "unexpected end of input", help: null }, { bogus: 1 }] },
    });
    assert.deepEqual(describePolicyRefusal(invalid), {
      message: "The policy is not valid, so nothing was saved:",
      problems: [{ message: "unexpected end of input", help: null }],
      policies: [],
    });
    const lockout = new ParleyError({ code: "policy_lockout", status: 409, message: "x", details: { policies: ["office only", 7] } });
    const r = describePolicyRefusal(lockout);
    assert.deepEqual(r.policies, ["office only"]);
    assert.match(r.message, /no owner or admin could still manage/);
  });
  test("a policy denial (forbidden) says the server's reason", () => {
    const denied = new ParleyError({ code: "forbidden", status: 403, message: 'your organisation\'s policy "x" forbids org.manage_security' });
    assert.equal(describePolicyRefusal(denied).message, 'Not allowed: your organisation\'s policy "x" forbids org.manage_security.');
  });
});

describe("admin console pages", () => {
  const user = (isAdmin: boolean, perms: string[]) => ({ isAdmin, can: (p: string) => perms.includes(p) });
  test("admins see every page; a member sees what their custom roles open; others none", () => {
    assert.ok(consoleTabs(user(true, [])).includes("roles"));
    assert.deepEqual(consoleTabs(user(false, ["org.read_audit", "org.list_users"])), ["audit"]);
    assert.deepEqual(consoleTabs(user(false, ["org.manage_roles", "org.invite"])), ["invites", "roles"]);
    assert.deepEqual(consoleTabs(user(false, ["org.list_users"])), []);
  });
});
