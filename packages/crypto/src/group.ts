// Creating, joining, persisting and inspecting groups (one MLS group per channel).
import {
  clientStateDecoder,
  clientStateEncoder,
  createGroup as mlsCreateGroup,
  createGroupInfoWithExternalPubAndRatchetTree,
  defaultCredentialTypes,
  defaultExtensionTypes,
  encode,
  joinGroup,
  joinGroupExternal,
  mlsMessageEncoder,
  nodeTypes,
  protocolVersions,
  wireformats,
  type CiphersuiteImpl,
  type ClientState,
  type GroupContextExtension,
  type KeyPackage,
  type MlsContext,
  type PrivateKeyPackage,
  type RatchetTree,
  type Welcome,
} from "ts-mls";
import { concat, equalBytes, fromUtf8, toHex, utf8 } from "./bytes.ts";
import { MLS_ENGINE } from "./engine.ts";
import { groupInfoMembers } from "./tree.ts";
import { encodeCredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import { groupIdBytes } from "./group-id.ts";
import { implOf, type DeviceIdentity } from "./identity.ts";
import { deleteKeyPackage, loadKeyPackage, newKeyPackage } from "./key-packages.ts";
import { internalOf, makeGroup, membersOf, mlsContext, translate, type Group, type LeafPolicy, type Member, type PolicyProbe } from "./group-state.ts";
import { suiteFromId, suiteId } from "./suites.ts";
import { welcomeTree } from "./welcome-tree.ts";
import { decodeMlsMessage } from "./wire.ts";

/** The server's key as MLS external sender (it may propose removals, never read content). */
export interface ExternalSenderKey {
  /** Ed25519 public key of the server's external-sender / directory key. */
  signaturePublicKey: Uint8Array;
  /** Org whose server this is (becomes the credential `parley/1/server/<orgId>`). */
  orgId: string;
}

/**
 * Creates a one-member group for a channel. `externalSenders` lists the server key(s)
 * allowed to propose removals (RFC 9420 §12.1.8.1); they go first in the group context
 * extensions because ts-mls numbers external senders by extension position.
 */
export async function createGroup(
  identity: DeviceIdentity,
  groupId: Uint8Array | string,
  options: { externalSenders?: ExternalSenderKey[] } & LeafPolicy = {},
): Promise<Group> {
  const impl = await implOf(identity);
  const extensions: GroupContextExtension[] = (options.externalSenders ?? []).map((s) => ({
    extensionType: defaultExtensionTypes.external_senders,
    extensionData: {
      signaturePublicKey: s.signaturePublicKey,
      credential: { credentialType: defaultCredentialTypes.basic, identity: encodeCredentialIdentity({ kind: "server", orgId: s.orgId }) },
    },
  }));
  const kp = await newKeyPackage(identity);
  const probe: PolicyProbe = {};
  const internal = { identity, impl, policy: pickPolicy(options) };
  try {
    const state = await mlsCreateGroup({
      context: mlsContext(internal, probe),
      groupId: groupIdBytes(groupId),
      keyPackage: kp.publicPackage,
      privateKeyPackage: kp.privatePackage,
      extensions,
    });
    kp.privatePackage.initPrivateKey.fill(0);
    return makeGroup({ ...internal, state });
  } catch (err) {
    throw translate(err, probe);
  }
}

function pickPolicy(p: LeafPolicy): LeafPolicy {
  return { authorizeLeaf: p.authorizeLeaf, authorizeExternalSender: p.authorizeExternalSender };
}

/** Options of {@link joinFromWelcome}. */
export interface WelcomeJoinOptions {
  /**
   * GroupInfo (MLSMessage bytes, with the ratchet_tree extension) of the epoch the Welcome
   * joins: where the ratchet tree comes from when the Welcome carries none (Parley's
   * Welcomes never do; the server returns this GroupInfo with the Welcome). Its tree is
   * used only if it hashes to the tree_hash of the Welcome's own GroupContext.
   */
  groupInfo?: Uint8Array;
}

/**
 * Joins from a Welcome (MLSMessage bytes). Finds the matching private KeyPackage in
 * `identity.keyStore`, takes the ratchet tree from the Welcome or, when it has none,
 * from `options.groupInfo` (checked against the Welcome's tree hash first), checks every
 * leaf of the group's tree with `authorizeLeaf`, and deletes the one-time KeyPackage
 * afterwards (a last-resort one is kept).
 * @throws E2eeError `no_matching_key_package`, `unauthorized_leaf`, `invalid_message`
 *   (also: the GroupInfo is for another group or epoch, or its tree is not the Welcome's),
 *   `bad_input` (the Welcome has no tree and no GroupInfo was given).
 */
export async function joinFromWelcome(
  identity: DeviceIdentity,
  welcome: Uint8Array,
  policy: LeafPolicy = {},
  options: WelcomeJoinOptions = {},
): Promise<Group> {
  const msg = decodeMlsMessage(welcome);
  if (msg.wireformat !== wireformats.mls_welcome) throw new E2eeError("bad_input", "not a Welcome");
  if (msg.welcome.cipherSuite !== suiteId(identity.suite)) throw new E2eeError("bad_input", "Welcome is for another cipher suite");
  let found: Awaited<ReturnType<typeof loadKeyPackage>>;
  let ref: Uint8Array = new Uint8Array();
  for (const s of msg.welcome.secrets) {
    ref = s.newMember;
    found = await loadKeyPackage(identity, toHex(ref));
    if (found) break;
  }
  if (!found) throw new E2eeError("no_matching_key_package", "no KeyPackage of this device matches the Welcome");
  const impl = await implOf(identity);
  const internal = { identity, impl, policy: pickPolicy(policy) };
  const probe: PolicyProbe = {};
  const { ratchetTree } = await welcomeTree(impl, msg.welcome, ref, found.privatePackage.initPrivateKey, options.groupInfo);
  const state = await joinWithKeyPackage(mlsContext(internal, probe), probe, {
    welcome: msg.welcome,
    keyPackage: found.publicPackage,
    privateKeys: found.privatePackage,
    ...(ratchetTree ? { ratchetTree } : {}),
  });
  if (!found.lastResort) await deleteKeyPackage(identity, toHex(ref));
  return makeGroup({ ...internal, state });
}

/**
 * Internal: the MLS join under `context` with a known KeyPackage and its private keys —
 * the core of {@link joinFromWelcome}, which supplies Parley's context (the leaf policy)
 * and the device's stored KeyPackage. The init private key is zeroed once used. The
 * RFC 9420 conformance runs (testing/passive-client.ts) call it with the test vectors'
 * keys, a permissive authentication service and, where a vector sends the tree out of
 * band, `ratchetTree`.
 */
export async function joinWithKeyPackage(
  context: MlsContext,
  probe: PolicyProbe,
  params: { welcome: Welcome; keyPackage: KeyPackage; privateKeys: PrivateKeyPackage; ratchetTree?: RatchetTree },
): Promise<ClientState> {
  let state: ClientState;
  try {
    state = await joinGroup({ context, ...params });
  } catch (err) {
    throw translate(err, probe);
  }
  params.privateKeys.initPrivateKey.fill(0);
  return state;
}

/** Result of {@link joinExternal}. */
export interface ExternalJoin {
  /** The external commit (PublicMessage bytes) to post as a commit bundle. */
  commit: Uint8Array;
  /** GroupInfo (with external pub and ratchet tree) of the new epoch, for the server to store. */
  groupInfo: Uint8Array;
  /** The joined group, already in `epoch`. Discard it if the server answers `stale_epoch`. */
  group: Group;
  /** The epoch the commit creates. */
  epoch: bigint;
}

/**
 * Joins a group by external commit (RFC 9420 §12.4.3.2) from a GroupInfo the server
 * stored: a user's new device, or joining a public channel. With `resync`, the device's
 * previous leaf (same credential) is removed in the same commit (state lost/rebuilt).
 */
export async function joinExternal(identity: DeviceIdentity, groupInfo: Uint8Array, options: LeafPolicy & { resync?: boolean } = {}): Promise<ExternalJoin> {
  const msg = decodeMlsMessage(groupInfo);
  if (msg.wireformat !== wireformats.mls_group_info) throw new E2eeError("bad_input", "not a GroupInfo");
  if (suiteFromId(msg.groupInfo.groupContext.cipherSuite) !== identity.suite) throw new E2eeError("bad_input", "GroupInfo is for another cipher suite");
  const impl = await implOf(identity);
  const internal = { identity, impl, policy: pickPolicy(options) };
  const probe: PolicyProbe = {};
  const kp = await newKeyPackage(identity);
  try {
    const { publicMessage, newState } = await joinGroupExternal({
      context: mlsContext(internal, probe),
      groupInfo: msg.groupInfo,
      keyPackage: kp.publicPackage,
      privateKeys: kp.privatePackage,
      resync: options.resync ?? false,
    });
    const commit = encode(mlsMessageEncoder, { version: protocolVersions.mls10, wireformat: wireformats.mls_public_message, publicMessage });
    const group = makeGroup({ ...internal, state: newState });
    return { commit, group, groupInfo: await groupInfoOf(group), epoch: newState.groupContext.epoch };
  } catch (err) {
    throw translate(err, probe);
  }
}

/** GroupInfo (MLSMessage bytes, with external_pub and ratchet_tree extensions) of the group's current epoch. */
export async function groupInfoOf(group: Group): Promise<Uint8Array> {
  const g = internalOf(group);
  return encodeGroupInfo(g.state, g.impl);
}

/** Internal: GroupInfo bytes of any state. */
export async function encodeGroupInfo(state: ClientState, impl: CiphersuiteImpl): Promise<Uint8Array> {
  const gi = await createGroupInfoWithExternalPubAndRatchetTree(state, [], impl);
  return encode(mlsMessageEncoder, { version: protocolVersions.mls10, wireformat: wireformats.mls_group_info, groupInfo: gi });
}

/** The group's current epoch. */
export function epoch(group: Group): bigint {
  return internalOf(group).state.groupContext.epoch;
}

/** Every device leaf of the group, by leaf index. */
export function members(group: Group): Member[] {
  return membersOf(internalOf(group).state);
}

/** This device's own leaf index. */
export function ownLeafIndex(group: Group): number {
  const g = internalOf(group);
  const own = membersOf(g.state).find((m) => m.deviceId === g.identity.deviceId && m.userId === g.identity.userId);
  if (!own) throw new E2eeError("invalid_state", "this device is not a member of the group");
  return own.leafIndex;
}

/**
 * Whether the tree in `groupInfo` (MLSMessage bytes) holds this device's leaf with the
 * encryption key this group state gave it: after an external join whose answer was lost,
 * true means the server accepted that join (its leaf key is this join's own, unknown to
 * any other commit).
 */
export function holdsOwnLeaf(group: Group, groupInfo: Uint8Array): boolean {
  const g = internalOf(group);
  const own = g.state.ratchetTree[g.state.privatePath.leafIndex * 2];
  if (own?.nodeType !== nodeTypes.leaf) return false;
  return groupInfoMembers(groupInfo).some(
    (l) => l.identity.kind === "device" && l.identity.deviceId === g.identity.deviceId && equalBytes(l.encryptionKey, own.leaf.hpkePublicKey),
  );
}

/** False once this device has been removed from the group (it can then neither send nor read). */
export function isActive(group: Group): boolean {
  return internalOf(group).state.groupActiveState.kind === "active";
}

/**
 * A 32-byte value every member of the epoch shares (RFC 9420 epoch_authenticator):
 * equal values prove two devices are in the same group state (safety numbers, tests).
 */
export function epochAuthenticator(group: Group): Uint8Array {
  return internalOf(group).state.keySchedule.epochAuthenticator.slice();
}

// Format of an exported group state: "PGS2", the engine (u8 length + UTF-8), then ts-mls's
// own encoding. "PGS1" (no engine) was written before engines were recorded, by rc.10 only.
const STATE_MAGIC_V1 = "PGS1";
const STATE_MAGIC = "PGS2";
const V1_ENGINE = "ts-mls@2.0.0-rc.10";

/**
 * Serialises the group's current state (secrets included: store it only in a KeyStore),
 * tagged with this build's {@link MLS_ENGINE}.
 * A pending (unconfirmed) commit is not included: after a restart, re-sync instead.
 */
export function exportGroupState(group: Group): Uint8Array {
  const g = internalOf(group);
  const engine = utf8(MLS_ENGINE);
  return concat(utf8(STATE_MAGIC), Uint8Array.of(engine.length), engine, encode(clientStateEncoder, g.state));
}

/** The engine that wrote an exported group state, and where its ts-mls encoding starts. */
export function groupStateEngine(bytes: Uint8Array): { engine: string; body: number } {
  const magic = bytes.length >= 4 ? fromUtf8(bytes.subarray(0, 4)) : "";
  if (magic === STATE_MAGIC_V1) return { engine: V1_ENGINE, body: 4 };
  if (magic !== STATE_MAGIC || bytes.length < 5 || bytes.length < 5 + bytes[4]!) throw new E2eeError("bad_input", "not an exported Parley group state");
  return { engine: fromUtf8(bytes.subarray(5, 5 + bytes[4]!)), body: 5 + bytes[4]! };
}

/**
 * Restores a group exported by {@link exportGroupState} for the same device identity.
 * @throws E2eeError `engine_mismatch` when another MLS engine wrote it (reset the channel's encryption).
 */
export async function importGroupState(identity: DeviceIdentity, bytes: Uint8Array, policy: LeafPolicy = {}): Promise<Group> {
  const { engine, body } = groupStateEngine(bytes);
  if (engine !== MLS_ENGINE) throw new E2eeError("engine_mismatch", `this group state was made by ${engine}; this build runs ${MLS_ENGINE}`);
  const decoded = clientStateDecoder(bytes.subarray(body), 0);
  if (!decoded) throw new E2eeError("bad_input", "corrupt group state");
  const state = decoded[0];
  if (suiteFromId(state.groupContext.cipherSuite) !== identity.suite) throw new E2eeError("bad_input", "group state is for another cipher suite");
  return makeGroup({ identity, impl: await implOf(identity), policy: pickPolicy(policy), state });
}

/** Replaces the leaf policy of a group (e.g. after loading it). */
export function setLeafPolicy(group: Group, policy: LeafPolicy): void {
  internalOf(group).policy = pickPolicy(policy);
}

export type { Member };
