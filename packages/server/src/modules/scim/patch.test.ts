/**
 * The pieces under the SCIM service, without a server: filter parsing (every filter example
 * of RFC 7644 §3.4.2.2 parses; malformed ones are invalidFilter), PATCH paths (invalidPath,
 * invalidFilter), and PATCH operations on documents (RFC 7644 §3.5.2's forms and the
 * vendors' variants).
 */
import test from "node:test";
import assert from "node:assert/strict";
import { ScimError } from "./errors.ts";
import { parseFilter } from "./filter.ts";
import { parsePatchPath } from "./path.ts";
import { applyPatch, parsePatchBody, type PatchOp } from "./patch.ts";
import { etagMatches, listParamsFromQuery, project } from "./list.ts";
import { usernameFor } from "./user-doc.ts";

function scimError(fn: () => unknown, scimType: string | undefined, status = 400): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ScimError, String(err));
    assert.equal(err.status, status);
    assert.equal(err.scimType, scimType, err.message);
    return true;
  });
}

test("every filter example of RFC 7644 §3.4.2.2 parses", () => {
  for (const f of [
    'userName eq "bjensen"',
    `name.familyName co "O'Malley"`,
    'userName sw "J"',
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
    "title pr",
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'meta.lastModified ge "2011-05-13T04:42:34Z"',
    'meta.lastModified lt "2011-05-13T04:42:34Z"',
    'meta.lastModified le "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and (emails.type eq "work")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
  ]) {
    assert.doesNotThrow(() => parseFilter(f), f);
  }
  // and/or precedence: and binds tighter.
  assert.deepEqual(parseFilter("a eq 1 or b eq 2 and c eq 3"), {
    op: "or",
    filters: [
      { op: "eq", attrPath: "a", compValue: 1 },
      {
        op: "and",
        filters: [
          { op: "eq", attrPath: "b", compValue: 2 },
          { op: "eq", attrPath: "c", compValue: 3 },
        ],
      },
    ],
  });
});

test("malformed filters are invalidFilter; oversized ones tooMany", () => {
  for (const f of [
    "",
    "   ",
    "userName eq",
    'userName eq "x',
    '(userName eq "x"',
    'userName zz "x"',
    'userName eq "x" and',
    'emails[type eq "work"',
    "userName eq {}",
    'eq "x"',
  ]) {
    scimError(() => parseFilter(f), "invalidFilter");
  }
  scimError(() => parseFilter(`userName eq "${"x".repeat(3000)}"`), "tooMany");
  scimError(() => parseFilter(Array.from({ length: 51 }, (_, i) => `a eq ${i}`).join(" or ")), "tooMany");
  scimError(() => parseFilter("(".repeat(5000) + 'a eq "b"' + ")".repeat(5000)), "tooMany");
});

test("PATCH paths: attributes, sub-attributes, value filters, schema URNs; bad ones refused", () => {
  assert.equal(parsePatchPath("User", "displayName").attr?.name, "displayName");
  assert.equal(parsePatchPath("User", "DISPLAYNAME").attr?.name, "displayName", "case-insensitive");
  const sub = parsePatchPath("User", "name.givenName");
  assert.equal(sub.attr?.name, "name");
  assert.equal(sub.sub?.name, "givenName");
  const vp = parsePatchPath("User", 'emails[type eq "work"].value');
  assert.equal(vp.attr?.name, "emails");
  assert.deepEqual(vp.filter, { op: "eq", attrPath: "type", compValue: "work" });
  assert.equal(vp.sub?.name, "value");
  assert.equal(parsePatchPath("User", "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName").sub?.name, "familyName");
  assert.equal(parsePatchPath("Group", 'members[value eq "2819c223-7f76-453a-919d-413861904646"]').attr?.name, "members");
  // Kept by the schema, not by Parley: ignored.
  assert.equal(parsePatchPath("User", "title").attr, null);
  assert.equal(parsePatchPath("User", 'addresses[type eq "work"].streetAddress').attr, null);
  assert.equal(parsePatchPath("User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").attr, null);
  for (const bad of [
    "nosuch",
    "name.nickname",
    "displayName.x",
    "displayName[value eq 1]",
    'emails[type eq "work"',
    "emails]",
    "urn:x:y:z",
    "a b",
    "",
    "name..givenName",
  ]) {
    scimError(() => parsePatchPath("User", bad), "invalidPath");
  }
  scimError(() => parsePatchPath("User", 'emails[type xx "work"]'), "invalidFilter");
  scimError(() => parsePatchPath("User", 'emails[color eq "red"]'), "invalidFilter");
  scimError(() => parsePatchPath("Group", "userName"), "invalidPath");
});

const bjensen = () => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  id: "usr_1",
  userName: "bjensen",
  name: { givenName: "Barbara", familyName: "Jensen" },
  displayName: "Babs",
  active: true,
  emails: [{ value: "bjensen@example.com", type: "work", primary: true }],
});
const ops = (...o: PatchOp[]) => o;

test("PATCH add, replace and remove as RFC 7644 §3.5.2 describes them", () => {
  const added = applyPatch("User", bjensen(), ops({ op: "add", value: { emails: [{ value: "babs@jensen.org", type: "home" }], nickName: "Babs" } }));
  assert.deepEqual(added.emails, [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@jensen.org", type: "home" },
  ]);
  assert.equal(added.nickName, undefined, "ignored attribute");
  const merged = applyPatch("User", bjensen(), ops({ op: "replace", path: "name", value: { middleName: "Jane" } }));
  assert.deepEqual(merged.name, { givenName: "Barbara", familyName: "Jensen", middleName: "Jane" }, "complex values merge");
  const viaFilter = applyPatch("User", bjensen(), ops({ op: "replace", path: 'emails[type eq "WORK"].value', value: "b@example.com" }));
  assert.equal((viaFilter.emails as Array<{ value: string }>)[0]!.value, "b@example.com", "filter strings compare case-insensitively");
  const removed = applyPatch("User", bjensen(), ops({ op: "remove", path: 'emails[type eq "work" and value ew "example.com"]' }));
  assert.deepEqual(removed.emails, []);
  const none = applyPatch("User", bjensen(), ops({ op: "remove", path: 'emails[type eq "home"]' }));
  assert.equal((none.emails as unknown[]).length, 1, "removing what is not there is a no-op");
  scimError(() => applyPatch("User", bjensen(), ops({ op: "replace", path: 'emails[type eq "home"].value', value: "x" })), "noTarget");
  scimError(() => applyPatch("User", bjensen(), ops({ op: "remove" })), "noTarget");
  scimError(() => applyPatch("User", bjensen(), ops({ op: "replace", path: "id", value: "usr_2" })), "mutability");
  scimError(() => applyPatch("User", bjensen(), ops({ op: "add", path: "groups", value: [] })), "mutability");
  scimError(() => applyPatch("User", bjensen(), ops({ op: "replace", path: "name", value: "Barbara" })), "invalidValue");
  // The original document is never touched: a failing request leaves nothing behind.
  const doc = bjensen();
  scimError(() => applyPatch("User", doc, ops({ op: "replace", path: "displayName", value: "X" }, { op: "replace", path: "bogus", value: 1 })), "invalidPath");
  assert.deepEqual(doc, bjensen());
});

test("PATCH as Okta and Entra ID send it", () => {
  // Okta repeats the id in a path-less replace.
  const okta = applyPatch("User", bjensen(), ops({ op: "replace", value: { id: "usr_1", active: false } }));
  assert.equal(okta.active, false);
  // Entra ID: dotted and schema-URN keys in a path-less value; Add on a filter path that matches nothing.
  const entra = applyPatch(
    "User",
    { ...bjensen(), emails: [] },
    ops(
      { op: "add", value: { "name.givenName": "Barb", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "R&D", title: "Boss" } },
      { op: "add", path: 'emails[type eq "work"].value', value: "new@example.com" },
    ),
  );
  assert.equal((entra.name as { givenName: string }).givenName, "Barb");
  assert.deepEqual(entra.emails, [{ type: "work", value: "new@example.com" }]);
  const group = { id: "grp_1", displayName: "G", members: [{ value: "usr_1" }, { value: "usr_2" }] };
  const removedListed = applyPatch("Group", group, ops({ op: "remove", path: "members", value: [{ $ref: null, value: "usr_2" }] }));
  assert.deepEqual(removedListed.members, [{ value: "usr_1" }]);
  const addedTwice = applyPatch("Group", group, ops({ op: "add", path: "members", value: [{ value: "usr_2" }, { value: "usr_3" }] }));
  assert.deepEqual(
    (addedTwice.members as Array<{ value: string }>).map((m) => m.value),
    ["usr_1", "usr_2", "usr_3"],
  );
});

test("PatchOp bodies: schema, Operations, op names", () => {
  const schemas = ["urn:ietf:params:scim:api:messages:2.0:PatchOp"];
  assert.deepEqual(parsePatchBody({ schemas, Operations: [{ op: "Replace", path: "active", value: false }] }), [
    { op: "replace", path: "active", value: false },
  ]);
  scimError(() => parsePatchBody({ Operations: [] }), "invalidSyntax");
  scimError(() => parsePatchBody({ schemas, Operations: [] }), "invalidSyntax");
  scimError(() => parsePatchBody({ schemas, Operations: [{ op: "move", path: "x" }] }), "invalidSyntax");
  scimError(() => parsePatchBody({ schemas, Operations: [{ op: "add", path: "displayName" }] }), "invalidSyntax");
  scimError(() => parsePatchBody({ schemas, Operations: [{ op: "add", path: 7, value: 1 }] }), "invalidSyntax");
  scimError(() => parsePatchBody("nope"), "invalidSyntax");
});

test("list parameters, projection, ETag comparison and usernames", () => {
  const p = listParamsFromQuery({ startIndex: "0", count: "1000", sortOrder: "Descending" });
  assert.equal(p.startIndex, 1);
  assert.equal(p.count, 200);
  assert.equal(p.descending, true);
  scimError(() => listParamsFromQuery({ count: ["1", "2"] }), "invalidValue");
  const doc = { schemas: ["s"], id: "u", userName: "b", name: { givenName: "B", familyName: "J" }, meta: { version: 'W/"1"' } };
  assert.deepEqual(project("User", doc, ["name.givenName"], undefined), { schemas: ["s"], id: "u", name: { givenName: "B" } });
  assert.deepEqual(project("User", doc, undefined, ["meta", "name.familyName", "id"]), { schemas: ["s"], id: "u", userName: "b", name: { givenName: "B" } });
  assert.ok(etagMatches('W/"abc"', 'W/"abc"'));
  assert.ok(etagMatches('"abc"', 'W/"abc"'), "weak comparison");
  assert.ok(etagMatches('W/"x", W/"abc"', 'W/"abc"'));
  assert.ok(etagMatches("*", 'W/"abc"'));
  assert.ok(!etagMatches('W/"abd"', 'W/"abc"'));
  assert.equal(usernameFor("BJensen"), "bjensen");
  assert.equal(usernameFor("Barbara.Jensen@Example.com"), "barbara.jensen");
  scimError(() => usernameFor("Barbara Jensen"), "invalidValue");
  scimError(() => usernameFor("x"), "invalidValue");
});
