/**
 * Setup for the state-persistence bench: an org on a real in-process server with the
 * owner (alice), bob, and a "bulk" user whose N devices are crypto-level devices:
 * device rows written directly, each with a real MLS identity bound by the server's
 * own directory command and one last-resort KeyPackage uploaded through the server's
 * own command. They never run an engine; they only make the group N members larger.
 * (Signing in N devices over HTTP would cost an argon2 check each.)
 */
import { createDeviceIdentity, generateKeyPackages } from "@parley/crypto";
import type { TestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser, TEST_PASSWORD } from "@parley/server/testing/factories";
import { putDeviceIdentity } from "../../../packages/server/src/modules/e2ee/device-directory.ts";
import { uploadKeyPackages } from "../../../packages/server/src/modules/e2ee/key-packages.ts";
import { newId } from "../../../packages/server/src/platform/ids.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** The org's slug, the shared password, and the bulk user's id. */
export interface BenchOrg {
  org: string;
  password: string;
  bulkUserId: string;
}

/** The org, alice ("owner"), bob and the bulk user with `devices` bound devices. */
export async function prepareOrg(server: TestServer, devices: number): Promise<BenchOrg> {
  const owner = await bootstrapOrg(server, { orgSlug: "bench", username: "owner" });
  await makeUser(server, owner, { username: "bob" });
  const bulk = await makeUser(server, owner, { username: "bulk" });
  const orgId = owner.org.id;
  const userId = bulk.user.id;
  for (let i = 0; i < devices; i++) {
    const deviceId = newId("dev");
    await server.deps.db
      .insertInto("devices")
      .values({ id: deviceId, org_id: orgId, user_id: userId, name: `bulk ${i}`, created_at: Date.now(), last_seen_at: null, revoked_at: null })
      .execute();
    const identity = await createDeviceIdentity({ orgId, userId, deviceId, suite: "default" });
    const p = { kind: "device" as const, orgId, userId, deviceId, sessionId: "bench", role: "member" as const };
    await putDeviceIdentity(server.deps, p, {
      suite: "default",
      signaturePublicKey: b64(identity.signaturePublicKey),
      credential: b64(identity.credentialIdentity),
    });
    const [kp] = await generateKeyPackages(identity, 1, { lastResort: true });
    await uploadKeyPackages(server.deps, p, [{ data: b64(kp!.keyPackage), lastResort: true }]);
  }
  return { org: "bench", password: TEST_PASSWORD, bulkUserId: userId };
}
