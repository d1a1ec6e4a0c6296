// Application-message throughput at 2 members (one encrypts, the other decrypts), through
// @parley/crypto or raw ts-mls, with a chosen crypto provider. Shared by mls.ts and
// provider.ts. Bytes are encoded and decoded on both paths, as on the wire.
import * as mls from "ts-mls";
import {
  addMembers,
  confirmPending,
  createDeviceIdentity,
  createGroup,
  encrypt,
  generateKeyPackages,
  joinFromWelcome,
  processMessage,
  type CryptoProviderName,
} from "@parley/crypto";

const payload = new TextEncoder().encode("x".repeat(200));

/** Messages per second through `@parley/crypto` (encrypt + processMessage) with `provider`. */
export async function wrapperThroughput(messages: number, provider: CryptoProviderName = "platform"): Promise<number> {
  const a = await createDeviceIdentity({ orgId: "o", userId: "a", deviceId: "a", suite: "default", cryptoProvider: provider });
  const b = await createDeviceIdentity({ orgId: "o", userId: "b", deviceId: "b", suite: "default", cryptoProvider: provider });
  const [kp] = await generateKeyPackages(b, 1);
  const ga = await createGroup(a, "bench");
  const bundle = await addMembers(ga, [kp!.keyPackage]);
  confirmPending(ga);
  const gb = await joinFromWelcome(b, bundle.welcome!, {}, { groupInfo: bundle.groupInfo });
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) await processMessage(gb, await encrypt(ga, payload));
  return messages / ((performance.now() - t0) / 1000);
}

/** Messages per second through raw ts-mls (createApplicationMessage + processMessage) with `provider` (default: ts-mls's own). */
export async function rawThroughput(messages: number, provider: mls.CryptoProvider = mls.defaultCryptoProvider): Promise<number> {
  const impl = await mls.getCiphersuiteImpl("MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519", provider);
  const ctx = { cipherSuite: impl, authService: mls.unsafeTestingAuthenticationService };
  const cred = (s: string): mls.Credential => ({ credentialType: mls.defaultCredentialTypes.basic, identity: new TextEncoder().encode(s) });
  const a = await mls.generateKeyPackage({ credential: cred("a"), cipherSuite: impl });
  const b = await mls.generateKeyPackage({ credential: cred("b"), cipherSuite: impl });
  let sa = await mls.createGroup({
    context: ctx,
    groupId: new TextEncoder().encode("bench"),
    keyPackage: a.publicPackage,
    privateKeyPackage: a.privatePackage,
  });
  const c = await mls.createCommit({
    context: ctx,
    state: sa,
    extraProposals: [{ proposalType: mls.defaultProposalTypes.add, add: { keyPackage: b.publicPackage } }],
    ratchetTreeExtension: true,
  });
  sa = c.newState;
  let sb = await mls.joinGroup({ context: ctx, welcome: c.welcome!.welcome, keyPackage: b.publicPackage, privateKeys: b.privatePackage });
  const t0 = performance.now();
  for (let i = 0; i < messages; i++) {
    // Same wire work as the wrapper: encode to bytes and decode again.
    const m = await mls.createApplicationMessage({ context: ctx, state: sa, message: payload });
    sa = m.newState;
    const bytes = mls.encode(mls.mlsMessageEncoder, m.message);
    const decoded = mls.decode(mls.mlsMessageDecoder, bytes) as mls.MlsFramedMessage;
    const r = await mls.processMessage({ context: ctx, state: sb, message: decoded });
    sb = r.newState;
  }
  return messages / ((performance.now() - t0) / 1000);
}
