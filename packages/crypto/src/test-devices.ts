// Test helpers (imported by *.test.ts only): devices with a server-signed directory.
import { createDeviceIdentity, type DeviceIdentity } from "./identity.ts";
import { generateKeyPackages } from "./key-packages.ts";
import { generateServerSigningKey, signBinding, verifyBinding, type DeviceBinding } from "./credential.ts";
import { equalBytes } from "./bytes.ts";
import type { LeafCandidate } from "./group-state.ts";
import type { CryptoProviderName, SuiteName } from "./suites.ts";
import { createGroup, joinFromWelcome } from "./group.ts";
import { addMembers, confirmPending } from "./commits.ts";

export const ORG = "org1";

/** A tiny device directory: the server signs bindings; clients verify them. */
export function makeDirectory() {
  const server = generateServerSigningKey();
  const bindings = new Map<string, DeviceBinding>();
  return {
    server,
    register(d: DeviceIdentity) {
      bindings.set(
        `${d.userId}/${d.deviceId}`,
        signBinding(server.privateKey, { orgId: d.orgId, userId: d.userId, deviceId: d.deviceId, signaturePublicKey: d.signaturePublicKey }),
      );
    },
    bindings,
    authorizeLeaf(leaf: LeafCandidate): boolean {
      const b = bindings.get(`${leaf.userId}/${leaf.deviceId}`);
      return !!b && verifyBinding(b, server.publicKey) && equalBytes(b.signaturePublicKey, leaf.signaturePublicKey);
    },
  };
}

export async function device(userId: string, deviceId: string, suite: SuiteName = "default", cryptoProvider: CryptoProviderName = "platform") {
  const identity = await createDeviceIdentity({ orgId: ORG, userId, deviceId, suite, cryptoProvider });
  const [kp] = await generateKeyPackages(identity, 1);
  return { identity, keyPackage: kp!.keyPackage };
}

/** A channel group "chan1" of alice (a1, the creator), bob (b1) and carol (c1), each holding its state. */
export async function threeMemberChannel(suite: SuiteName = "default") {
  const dir = makeDirectory();
  const [a, b, c] = await Promise.all([device("alice", "a1", suite), device("bob", "b1", suite), device("carol", "c1", suite)]);
  for (const d of [a, b, c]) dir.register(d.identity);
  const policy = { authorizeLeaf: dir.authorizeLeaf };
  const ga = await createGroup(a.identity, "chan1", policy);
  const bundle = await addMembers(ga, [b.keyPackage, c.keyPackage]);
  confirmPending(ga);
  const gb = await joinFromWelcome(b.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  const gc = await joinFromWelcome(c.identity, bundle.welcome!, policy, { groupInfo: bundle.groupInfo });
  return { ga, gb, gc };
}
