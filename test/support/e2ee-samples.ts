/**
 * Request bodies for the E2EE directory routes that only the calling device
 * can produce: its MLS identity and KeyPackages signed by it (real ones, from
 * @parley/crypto). Used by the cross-org matrix for org B's own calls.
 */
import { createDeviceIdentity, generateKeyPackages } from "@parley/crypto";
import type { RouteName } from "@parley/protocol";
import type { TestUser } from "@parley/server/testing/factories";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** putDeviceIdentity and uploadKeyPackages bodies for `u`'s signed-in device. */
export async function e2eeSamplesFor(u: TestUser): Promise<Partial<Record<RouteName, unknown>>> {
  const id = await createDeviceIdentity({ orgId: u.org.id, userId: u.user.id, deviceId: u.tokens.deviceId, suite: "default" });
  const kps = await generateKeyPackages(id, 2);
  return {
    putDeviceIdentity: { suite: id.suite, signaturePublicKey: b64(id.signaturePublicKey), credential: b64(id.credentialIdentity) },
    uploadKeyPackages: { keyPackages: kps.map((k) => ({ data: b64(k.keyPackage), lastResort: k.lastResort })) },
  };
}
