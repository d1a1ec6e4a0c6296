/**
 * Reading a commit bundle's public MLS structures (no database, no secret):
 * wire format, group id, epoch and suite of each part, the commit's sender,
 * adds and removes, the Welcome's recipients and the new GroupInfo's leaves.
 * Signatures are verified too (verifyBundle): the server holds no membership
 * key, so a commit's signature under the sender's key from the previous
 * epoch's tree is what authenticates it; an unverified commit accepted here
 * would move the epoch and break the group for every member.
 * Anything malformed or unauthenticated is a 400 before a transaction starts.
 */
import {
  channelGroupId,
  checkCommitLeadsTo,
  groupIdBytes,
  inspectMlsMessage,
  isE2eeError,
  parseChannelGroupId,
  verifyGroupInfo,
  verifyPublicMessage,
  type InspectedMessage,
  type SuiteName,
  type TreeLeaf,
  type VerifiedGroupInfo,
} from "@parley/crypto/public";
import type { CommitBundleBody } from "@parley/protocol";
import { AppError } from "../../core/errors.ts";

/** A 400 with a stable `reason` in details, so clients and tests can tell rejections apart. */
export function refused(reason: string, message: string, code: "bad_request" | "forbidden" = "bad_request", extra: Record<string, unknown> = {}): AppError {
  return new AppError(code, message, { reason, ...extra });
}

export interface ParsedGroupInfo {
  bytes: Buffer;
  epoch: number;
  suite: SuiteName;
  leaves: TreeLeaf[];
  verified: VerifiedGroupInfo;
}
export interface ParsedCommit {
  bytes: Buffer;
  info: InspectedMessage;
}
export interface ParsedBundle {
  epoch: number;
  groupInfo: ParsedGroupInfo;
  commit?: ParsedCommit;
  welcome?: { bytes: Buffer; for: string[] };
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function inspect(bytes: Buffer, what: string, suite: SuiteName | undefined): Promise<InspectedMessage> {
  try {
    return await inspectMlsMessage(bytes, suite ? { suite } : {});
  } catch (err) {
    if (isE2eeError(err)) throw refused("malformed", `${what} is not a valid MLS message: ${err.message}`);
    throw refused("malformed", `${what} is not a valid MLS message`);
  }
}

/** The message must be for the channel's current group: another channel's is refused, an older generation's is a reset the sender missed. */
function sameGroup(info: InspectedMessage, channelId: string, generation: number, what: string): void {
  if (info.groupId && equal(info.groupId, groupIdBytes(channelGroupId(channelId, generation)))) return;
  const named = info.groupId ? parseChannelGroupId(info.groupId) : undefined;
  if (named?.channelId === channelId) {
    throw new AppError(
      "encryption_reset",
      `${what} is for another of this channel's groups (generation ${named.generation}); the channel's encryption is at generation ${generation}`,
      { generation },
    );
  }
  throw refused("wrong_group", `${what} belongs to another group than this channel's`);
}

/**
 * Parse and cross-check a bundle. `suite` is the group's suite (undefined for an
 * init bundle: the GroupInfo names it). `expectedEpoch` is the epoch the GroupInfo
 * must be at (bundle epoch + 1 for a commit, 0 for an init bundle).
 */
export async function parseBundle(channelId: string, generation: number, body: CommitBundleBody, suite: SuiteName | undefined): Promise<ParsedBundle> {
  const giBytes = Buffer.from(body.groupInfo, "base64");
  const gi = await inspect(giBytes, "groupInfo", suite);
  if (gi.wireFormat !== "group_info") throw refused("malformed", "groupInfo must be an MLS GroupInfo");
  sameGroup(gi, channelId, generation, "groupInfo");
  if (!gi.suite) throw refused("wrong_suite", "groupInfo uses a cipher suite Parley does not offer");
  if (suite && gi.suite !== suite) throw refused("wrong_suite", `groupInfo uses suite ${gi.suite}; the channel's group uses ${suite}`);
  const expectedEpoch = body.commit ? body.epoch + 1 : 0;
  if (Number(gi.epoch) !== expectedEpoch) throw refused("epoch_mismatch", `groupInfo is for epoch ${gi.epoch}; expected ${expectedEpoch}`);
  let verified: VerifiedGroupInfo;
  try {
    verified = await verifyGroupInfo(giBytes, { suite: gi.suite });
  } catch (err) {
    if (isE2eeError(err, "invalid_message")) throw refused("group_info_signature", `groupInfo does not verify: ${err.message}`);
    throw refused("malformed", `groupInfo has no readable ratchet tree${isE2eeError(err) ? `: ${err.message}` : ""}`);
  }
  const out: ParsedBundle = { epoch: body.epoch, groupInfo: { bytes: giBytes, epoch: expectedEpoch, suite: gi.suite, leaves: verified.members, verified } };
  if (body.commit) {
    const bytes = Buffer.from(body.commit, "base64");
    const info = await inspect(bytes, "commit", gi.suite);
    // Handshakes must be PublicMessage: that is what lets the server check them (RFC 9750 §6.4).
    if (info.wireFormat !== "public") throw refused("not_public", "commit must be an MLS PublicMessage");
    if (info.contentType !== "commit") throw refused("not_commit", "commit is not an MLS Commit");
    sameGroup(info, channelId, generation, "commit");
    if (Number(info.epoch) !== body.epoch) throw refused("epoch_mismatch", `commit is for epoch ${info.epoch}; the bundle says ${body.epoch}`);
    out.commit = { bytes, info };
  }
  if (body.welcome) {
    const bytes = Buffer.from(body.welcome, "base64");
    const info = await inspect(bytes, "welcome", gi.suite);
    if (info.wireFormat !== "welcome") throw refused("malformed", "welcome must be an MLS Welcome");
    if (info.suite !== gi.suite) throw refused("wrong_suite", "welcome uses another suite than the group");
    out.welcome = { bytes, for: info.welcomeFor ?? [] };
  }
  return out;
}

/**
 * The server's own external-sender key must stay listed in the group's
 * external_senders (at the init bundle and every commit): without it members
 * would reject the server's Remove proposals and kicked devices could stay in
 * the group. Returns its sender index.
 */
export function serverSenderIndex(gi: VerifiedGroupInfo, serverKey: Uint8Array): number {
  const found = gi.externalSenders.find((s) => equal(s.signaturePublicKey, serverKey));
  if (!found) throw refused("external_sender_missing", "the group's external senders must list the server's key (GET /e2ee/config externalSender)");
  return found.index;
}

/**
 * Authenticate a commit bundle against the stored GroupInfo of the epoch it
 * commits to: the commit's signature (sender leaf of that tree, or the
 * joiner's own key for an external commit), and the new GroupInfo must be the
 * one this commit leads to (epoch + 1, transcript hash, confirmation tag,
 * signed by the committer). The membership tag is not checked: it needs the
 * epoch's membership key, which only members hold.
 */
export async function verifyBundle(bundle: ParsedBundle, previousGroupInfo: Uint8Array, suite: SuiteName): Promise<void> {
  const commit = bundle.commit!;
  let verified: Awaited<ReturnType<typeof verifyPublicMessage>>;
  try {
    verified = await verifyPublicMessage(commit.bytes, previousGroupInfo, { suite });
  } catch (err) {
    throw refused("bad_signature", `the commit does not verify against the group's epoch ${bundle.epoch}${isE2eeError(err) ? `: ${err.message}` : ""}`);
  }
  try {
    checkCommitLeadsTo(verified, bundle.groupInfo.verified);
  } catch (err) {
    throw refused("group_info_mismatch", `the new GroupInfo is not the one this commit leads to${isE2eeError(err) ? `: ${err.message}` : ""}`);
  }
}

export { equal as equalBytes };
