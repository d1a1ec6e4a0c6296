/**
 * What Okta and Entra ID actually send (their SCIM 2.0 provisioning sequences, with the
 * bodies their documentation shows), against a real server on SQLite and PostgreSQL:
 * match by userName filter, create, update, deactivate, groups and membership.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, type TestUser } from "../../testing/factories.ts";
import { GROUP_SCHEMA, patchOp, scimClient, USER_SCHEMA, type ScimClient } from "../../testing/scim.ts";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

for (const dialect of DIALECTS) {
  describe(`SCIM clients as Okta and Entra ID drive them (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let idp: ScimClient;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "contoso" });
      idp = await scimClient(s, owner);
    });
    after(() => s.stop());

    it("Okta: match, create, PUT update, deactivate and reactivate by path-less replace, push a group", async () => {
      const q = encodeURIComponent('userName eq "test.user@okta.local"');
      const miss = await idp.req("GET", `/Users?filter=${q}&startIndex=1&count=100`);
      assert.equal(miss.status, 200);
      assert.equal(miss.body.totalResults, 0);
      const created = await idp.req("POST", "/Users", {
        schemas: [USER_SCHEMA],
        userName: "test.user@okta.local",
        name: { givenName: "Test", familyName: "User" },
        emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
        displayName: "Test User",
        locale: "en-US",
        externalId: "00ujl29u0le5T6Aj10h7",
        groups: [],
        password: "1mz050nq-long-enough",
        active: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id: string = created.body.id;
      assert.equal((await owner.api("GET", `/users/${id}`)).body.username, "test.user");
      const hit = await idp.req("GET", `/Users?filter=${q}&startIndex=1&count=100`);
      assert.equal(hit.body.totalResults, 1);
      assert.equal(hit.body.Resources[0].id, id);
      const put = await idp.req("PUT", `/Users/${id}`, {
        schemas: [USER_SCHEMA],
        id,
        userName: "test.user@okta.local",
        name: { givenName: "Another", familyName: "User" },
        emails: [{ primary: true, value: "test.user@okta.local", type: "work" }],
        displayName: "Another User",
        locale: "en-US",
        externalId: "00ujl29u0le5T6Aj10h7",
        groups: [],
        active: true,
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.equal(put.body.name.givenName, "Another");
      const off = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "replace", value: { active: false } }));
      assert.equal(off.status, 200);
      assert.equal(off.body.active, false);
      assert.equal((await owner.api("GET", `/users/${id}`)).body.deactivated, true);
      const on = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "replace", value: { active: true } }));
      assert.equal(on.body.active, true);

      const group = await idp.req("POST", "/Groups", { schemas: [GROUP_SCHEMA], displayName: "Test SCIMv2", members: [] });
      assert.equal(group.status, 201);
      const gid: string = group.body.id;
      const renamed = await idp.req("PATCH", `/Groups/${gid}`, patchOp({ op: "replace", value: { id: gid, displayName: "Test SCIMv2 renamed" } }));
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.displayName, "Test SCIMv2 renamed");
      const add = await idp.req("PATCH", `/Groups/${gid}`, patchOp({ op: "add", path: "members", value: [{ value: id, display: "test.user@okta.local" }] }));
      assert.deepEqual(
        add.body.members.map((m: { value: string }) => m.value),
        [id],
      );
      const rm = await idp.req("PATCH", `/Groups/${gid}`, patchOp({ op: "remove", path: `members[value eq "${id}"]` }));
      assert.equal(rm.body.members.length, 0);
      assert.equal((await idp.req("DELETE", `/Groups/${gid}`)).status, 204);
    });

    it("Entra ID: create with the enterprise extension, capitalised ops, filter paths, string booleans, dotted keys", async () => {
      const created = await idp.req("POST", "/Users", {
        schemas: [USER_SCHEMA, ENTERPRISE],
        externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        userName: "Test_User_ab6490ee@contoso.onmicrosoft.com",
        active: true,
        emails: [{ primary: true, type: "work", value: "Test_User_fd0ea19b@testuser.com" }],
        meta: { resourceType: "User" },
        name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
        roles: [],
        [ENTERPRISE]: { employeeNumber: "701984", department: "Tour Operations", manager: { value: "123" } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const id: string = created.body.id;
      assert.equal(created.body.displayName, "givenName familyName");
      // Entra checks by userName, then by externalId.
      const byName = await idp.req("GET", `/Users?filter=${encodeURIComponent('userName eq "test_user_ab6490ee@contoso.onmicrosoft.com"')}`);
      assert.equal(byName.body.Resources[0].id, id);
      const patched = await idp.req(
        "PATCH",
        `/Users/${id}`,
        patchOp(
          { op: "Replace", path: 'emails[type eq "work"].value', value: "updatedEmail@microsoft.com" },
          { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
          { op: "Add", path: `${ENTERPRISE}:department`, value: "Finance" },
          { op: "Add", path: 'phoneNumbers[type eq "mobile"].value', value: "+1 555 0100" },
          { op: "Replace", path: "title", value: "Manager" },
          { op: "Replace", value: { displayName: "Updated Name", "name.givenName": "Updated", [`${ENTERPRISE}:costCenter`]: "42" } },
        ),
      );
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.emails, [{ value: "updatedemail@microsoft.com", type: "work", primary: true }]);
      assert.equal(patched.body.name.familyName, "updatedFamilyName");
      assert.equal(patched.body.name.givenName, "Updated");
      assert.equal(patched.body.displayName, "Updated Name");
      // An email cleared by Entra, then set again with Add on a filter path that matches nothing yet.
      const cleared = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "Remove", path: 'emails[type eq "work"]' }));
      assert.equal(cleared.body.emails, undefined);
      const readded = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "Add", path: 'emails[type eq "work"].value', value: "again@microsoft.com" }));
      assert.deepEqual(readded.body.emails, [{ value: "again@microsoft.com", type: "work", primary: true }]);
      const disabled = await idp.req("PATCH", `/Users/${id}`, patchOp({ op: "Replace", path: "active", value: "False" }));
      assert.equal(disabled.body.active, false);
      assert.equal((await owner.api("GET", `/users/${id}`)).body.deactivated, true);

      const group = await idp.req("POST", "/Groups", {
        schemas: [GROUP_SCHEMA],
        externalId: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        displayName: "displayName",
        meta: { resourceType: "Group" },
      });
      assert.equal(group.status, 201, JSON.stringify(group.body));
      const gid: string = group.body.id;
      const found = await idp.req("GET", `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "displayName"')}`);
      assert.equal(found.body.Resources[0].id, gid);
      assert.equal(found.body.Resources[0].members, undefined);
      const add = await idp.req("PATCH", `/Groups/${gid}`, patchOp({ op: "Add", path: "members", value: [{ $ref: null, value: id }] }));
      assert.equal(add.status, 200, JSON.stringify(add.body));
      const isMember = await idp.req("GET", `/Groups?excludedAttributes=members&filter=${encodeURIComponent(`id eq "${gid}" and members[value eq "${id}"]`)}`);
      assert.equal(isMember.body.totalResults, 1);
      const rename = await idp.req(
        "PATCH",
        `/Groups/${gid}`,
        patchOp({ op: "Replace", path: "displayName", value: "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" }),
      );
      assert.equal(rename.body.displayName, "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");
      const rm = await idp.req("PATCH", `/Groups/${gid}`, patchOp({ op: "Remove", path: "members", value: [{ $ref: null, value: id }] }));
      assert.equal((rm.body.members ?? []).length, 0);
      const single = await idp.req("GET", `/Groups/${gid}?excludedAttributes=members`);
      assert.equal(single.status, 200);
      assert.equal(single.body.members, undefined);
    });
  });
}
