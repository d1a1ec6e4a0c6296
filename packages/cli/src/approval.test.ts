/**
 * `parley devices approve` and `parley devices request-approval` (issue 9, ADR 0007) with the real
 * binary: alice's second CLI profile asks, her first approves after she types the code the new
 * device shows (computed here from the two public keys the server relays — the code is not a
 * secret, it only has to match), and the new profile then reads what was said before it existed.
 * Bad input is refused with the stable codes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { approvalCode } from "@parley/crypto";
import { startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, TEST_PASSWORD } from "@parley/server/testing/factories";
import { parley, tempDir } from "./testing/spawn-cli.ts";

test("a CLI device asks for approval, another approves it with the code it shows, and the new one reads the past", { timeout: 180_000 }, async (t) => {
  const server = await startTestServer({ config: { checkMlsFraming: true } });
  t.after(() => server.stop());
  await bootstrapOrg(server, { orgSlug: "cliapprove", username: "alice" });
  const dir = tempDir("approval");
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = (who: string, args: string[], input?: string | Promise<string>) =>
    parley(["--profile-dir", path.join(dir, who), ...args], { env: { PARLEY_PASSWORD: TEST_PASSWORD }, ...(input !== undefined ? { input } : {}) });
  const ok = async (who: string, args: string[]) => {
    const r = await run(who, args);
    assert.equal(r.code, 0, `parley ${args.join(" ")}: ${r.stderr}`);
    return r;
  };

  await ok("laptop", ["login", "--server", server.url, "--org", "cliapprove", "--username", "alice"]);
  await ok("laptop", ["channel", "create", "general"]);
  await ok("laptop", ["send", "general", "said before the phone existed"]);
  const phoneLogin = await ok("phone", ["login", "--server", server.url, "--org", "cliapprove", "--username", "alice"]);
  assert.match(phoneLogin.stdout, /parley devices request-approval/);

  // Bad input first: nothing is approved.
  const badCode = await run("laptop", ["devices", "approve", "--code", "12"]);
  assert.equal(badCode.code, 2, badCode.stderr);
  const none = await run("laptop", ["devices", "approve", "--wait", "0", "--json"]);
  assert.equal(none.code, 1);
  assert.equal(none.json().error.code, "no_request");

  // The phone asks; the laptop shows the code, and the user types what the phone shows.
  const asking = run("phone", ["devices", "request-approval", "--json"]);
  const typed = (async () => {
    for (let i = 0; i < 3000; i++) {
      const r = await server.deps.db.selectFrom("approval_requests").selectAll().where("state", "=", "revealed").executeTakeFirst();
      if (r?.approver_key && r.device_key && r.approver_device_id) return `${approvalCode(r.approver_key, r.device_key, r.approver_device_id, r.device_id)}\n`;
      await new Promise((res) => setTimeout(res, 20));
    }
    return "no code\n";
  })();
  const approved = await run("laptop", ["devices", "approve", "--wait", "60"], typed);
  assert.equal(approved.code, 0, approved.stderr);
  const code = (await typed).trim();
  assert.match(approved.stderr, new RegExp(`This device shows: ${code.slice(0, 3)} ${code.slice(3)}`));
  const phone = await asking;
  assert.equal(phone.code, 0, phone.stderr);
  assert.match(phone.stderr, new RegExp(`Code: ${code.slice(0, 3)} ${code.slice(3)}`), "the phone shows the same code");
  assert.ok(phone.json().restored > 0);

  const read = await ok("phone", ["read", "general", "--json"]);
  assert.deepEqual(
    read.json().messages.map((m: { text?: string; decodeError?: string }) => m.decodeError ?? m.text),
    ["said before the phone existed"],
  );
  const devices = (await ok("phone", ["devices", "--json"])).json().devices as Array<{ approved: boolean; current: boolean }>;
  // The org's bootstrap session is a third device of alice's, never set up for E2EE: not approved.
  assert.equal(devices.filter((d) => d.approved).length, 2, JSON.stringify(devices));
  assert.ok(devices.find((d) => d.current)!.approved);
  assert.match((await ok("phone", ["devices"])).stdout, /approved/);
  const again = await run("phone", ["devices", "request-approval", "--json"]);
  assert.equal(again.code, 1);
  assert.equal(again.json().error.code, "already_approved");
});
