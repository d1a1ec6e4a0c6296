/**
 * Reading a commit bundle's public MLS structures (no database, no secret):
 * wire format, group id, epoch and suite of each part, the commit's sender,
 * adds and removes, the Welcome's recipients and the new GroupInfo's leaves.
 * Anything malformed is a 400 before a transaction starts.
 */
import {
  groupIdBytes, groupInfoMembers, inspectMlsMessage, isE2eeError, type InspectedMessage, type SuiteName, type TreeLeaf,
} from "@parley/crypto/public";
import type { CommitBundleBody } from "@parley/protocol";
import { AppError } from "../../http/errors.ts";

/** A 400 with a stable `reason` in details, so clients and tests can tell rejections apart. */
export function refused(reason: string, message: string, code: "bad_request" | "forbidden" = "bad_request", extra: Record<string, unknown> = {}): AppError {
  return new AppError(code, message, { reason, ...extra });
}

export interface ParsedGroupInfo { bytes: Buffer; epoch: number; suite: SuiteName; leaves: TreeLeaf[] }
export interface ParsedCommit { bytes: Buffer; info: InspectedMessage }
export interface ParsedBundle { epoch: number; groupInfo: ParsedGroupInfo; commit?: ParsedCommit; welcome?: { bytes: Buffer; for: string[] } }

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

async function inspect(bytes: Buffer, what: string, suite: SuiteName | undefined): Promise<InspectedMessage> {
  try {
    return await inspectMlsMessage(bytes, suite ? { suite } : {});
  } catch (err) {
    if (isE2eeError(err)) throw refused("malformed", `${what} is not a valid MLS message: ${err.message}`);
    throw refused("malformed", `${what} is not a valid MLS message`);
  }
}

function sameGroup(info: InspectedMessage, channelId: string, what: string): void {
  if (!info.groupId || !equal(info.groupId, groupIdBytes(channelId))) throw refused("wrong_group", `${what} belongs to another group than this channel's`);
}

/**
 * Parse and cross-check a bundle. `suite` is the group's suite (undefined for an
 * init bundle: the GroupInfo names it). `expectedEpoch` is the epoch the GroupInfo
 * must be at (bundle epoch + 1 for a commit, 0 for an init bundle).
 */
export async function parseBundle(channelId: string, body: CommitBundleBody, suite: SuiteName | undefined): Promise<ParsedBundle> {
  const giBytes = Buffer.from(body.groupInfo, "base64");
  const gi = await inspect(giBytes, "groupInfo", suite);
  if (gi.wireFormat !== "group_info") throw refused("malformed", "groupInfo must be an MLS GroupInfo");
  sameGroup(gi, channelId, "groupInfo");
  if (!gi.suite) throw refused("wrong_suite", "groupInfo uses a cipher suite Parley does not offer");
  if (suite && gi.suite !== suite) throw refused("wrong_suite", `groupInfo uses suite ${gi.suite}; the channel's group uses ${suite}`);
  const expectedEpoch = body.commit ? body.epoch + 1 : 0;
  if (Number(gi.epoch) !== expectedEpoch) throw refused("epoch_mismatch", `groupInfo is for epoch ${gi.epoch}; expected ${expectedEpoch}`);
  let leaves: TreeLeaf[];
  try {
    leaves = groupInfoMembers(giBytes);
  } catch (err) {
    throw refused("malformed", `groupInfo has no readable ratchet tree${isE2eeError(err) ? `: ${err.message}` : ""}`);
  }
  const out: ParsedBundle = { epoch: body.epoch, groupInfo: { bytes: giBytes, epoch: expectedEpoch, suite: gi.suite, leaves } };
  if (body.commit) {
    const bytes = Buffer.from(body.commit, "base64");
    const info = await inspect(bytes, "commit", gi.suite);
    // Handshakes must be PublicMessage: that is what lets the server check them (RFC 9750 §6.4).
    if (info.wireFormat !== "public") throw refused("not_public", "commit must be an MLS PublicMessage");
    if (info.contentType !== "commit") throw refused("not_commit", "commit is not an MLS Commit");
    sameGroup(info, channelId, "commit");
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

export { equal as equalBytes };
