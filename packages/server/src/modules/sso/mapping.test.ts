/** What the claims say: usernames made from claims, groups, and the access the mappings give. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { claimAt, desiredAccess, profileOf, usernameCandidates, usernameFrom } from "./mapping.ts";

const claims = { username: "preferred_username", email: "email", name: "name", groups: "groups" };

test("a username is made from a claim: lowercased, an email's domain dropped, other characters turned into dashes", () => {
  assert.equal(usernameFrom("Alice.Liddell"), "alice.liddell");
  assert.equal(usernameFrom("jane.doe@contoso.com"), "jane.doe");
  assert.equal(usernameFrom("José Müller"), "jose-muller");
  assert.equal(usernameFrom("--weird__name!!"), "weird__name");
  assert.equal(usernameFrom("a".repeat(60)), "a".repeat(40));
  assert.equal(usernameFrom("x"), null, "too short");
  assert.equal(usernameFrom("!!!"), null);
  assert.equal(usernameFrom(null), null);
  assert.deepEqual(usernameCandidates("bob", 3), ["bob", "bob-2", "bob-3"]);
  assert.ok(usernameCandidates("b".repeat(40), 12).every((u) => u.length <= 40));
});

test("claims: dotted names read nested claims; groups from an array or a string; only a verified address", () => {
  assert.deepEqual(claimAt({ realm_access: { roles: ["a"] } }, "realm_access.roles"), ["a"]);
  assert.equal(claimAt({ "a.b": 1, a: { b: 2 } }, "a.b"), 1, "a claim with the whole name wins");
  const p = profileOf({ claims }, { preferred_username: "Al", email: "AL@Example.org", email_verified: true, name: " Al B ", groups: ["x", "x", 3, "y"] });
  assert.deepEqual(p, { username: "Al", displayName: "Al B", verifiedEmail: "al@example.org", groups: ["x", "y"] });
  assert.equal(profileOf({ claims }, { email: "al@example.org", email_verified: false }).verifiedEmail, null);
  assert.deepEqual(profileOf({ claims }, { groups: "a b  c" }).groups, ["a", "b", "c"]);
});

test("the most privileged mapped role wins; no match gives the default role; no role mapping manages no role", () => {
  const s = {
    roleMapping: [
      { group: "staff", role: "member" as const },
      { group: "it", role: "admin" as const },
    ],
    channelMapping: [
      { group: "staff", channelId: "ch_1" },
      { group: "it", channelId: "ch_1" },
      { group: "it", channelId: "ch_2" },
    ],
    defaultRole: "guest" as const,
  };
  assert.deepEqual(desiredAccess(s, ["staff", "it"]), { role: "admin", channelIds: ["ch_1", "ch_2"] });
  assert.deepEqual(desiredAccess(s, ["other"]), { role: "guest", channelIds: [] });
  assert.deepEqual(desiredAccess({ ...s, roleMapping: [] }, ["it"]), { role: null, channelIds: ["ch_1", "ch_2"] });
});
