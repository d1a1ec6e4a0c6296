import { test } from "node:test";
import assert from "node:assert/strict";
import { ldapFormOf, ldapInputOf } from "./ldap-form.ts";

const filled = () => ({
  ...ldapFormOf(null),
  url: "ldaps://dc1.corp.example:636",
  bindDn: "cn=parley,ou=services,dc=example,dc=org",
  bindPassword: "secret",
  userBase: "ou=people,dc=example,dc=org",
});

test("a new directory's form sends the protocol's defaults and the typed values", () => {
  const r = ldapInputOf(filled());
  assert.ok("input" in r, JSON.stringify(r));
  assert.equal(r.input.url, "ldaps://dc1.corp.example:636");
  assert.equal(r.input.bindPassword, "secret");
  assert.deepEqual(r.input.attributes, { id: "entryUUID", username: "uid", displayName: "cn", email: "mail" });
  assert.equal(r.input.groups, null);
  assert.equal(r.input.syncIntervalMinutes, 60);
});

test("stored settings round-trip; an empty password keeps the stored one; groups come and go with their switch", () => {
  const first = ldapInputOf({ ...filled(), groupsOn: true, groupBase: "ou=groups,dc=example,dc=org", attrEmail: "" });
  assert.ok("input" in first);
  const { bindPassword: _sent, ...stored } = first.input;
  const again = ldapInputOf(ldapFormOf(stored as never));
  assert.ok("input" in again);
  assert.equal(again.input.bindPassword, undefined);
  assert.equal(again.input.attributes?.email, null);
  assert.equal(again.input.groups?.base, "ou=groups,dc=example,dc=org");
  const off = ldapInputOf({ ...ldapFormOf(stored as never), groupsOn: false });
  assert.ok("input" in off);
  assert.equal(off.input.groups, null);
});

test("problems are named by the field the admin sees", () => {
  const problem = (over: object) => {
    const r = ldapInputOf({ ...filled(), ...over });
    return "problem" in r ? r.problem : "";
  };
  assert.match(problem({ url: "http://dc1" }), /^Server URL: an ldap:\/\/ or ldaps:\/\/ URL/);
  assert.match(problem({ userFilter: "(uid=alice)" }), /^User filter: .*\{username\}/);
  assert.match(problem({ syncIntervalMinutes: "" }), /^Sync interval: enter a whole number/);
  assert.match(problem({ syncIntervalMinutes: "2" }), /^Sync interval: /);
  assert.match(problem({ startTls: true }), /^StartTLS: ldaps:\/\/ is TLS already/);
  assert.match(problem({ roleMapping: [{ group: "admins", role: "admin" }] }), /^Groups: role and channel mappings need groups/);
  assert.match(problem({ groupsOn: true, groupBase: "", roleMapping: [{ group: "", role: "admin" }] }), /^Group base DN/);
});
