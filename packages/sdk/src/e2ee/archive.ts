/**
 * Reading archive copies (issue 9, ADR 0007). A live event's copy is opened beside its MLS
 * message and compared byte for byte: a copy that is missing (where the channel's policy keeps
 * them), mis-framed, wrongly signed or different is a fault of the sender (or of the server)
 * shown on that message, which still shows its live content. An event this device cannot read
 * through MLS — sent before it joined, or its own send from an earlier session — is read from
 * its copy when the device holds that epoch's history key. A copy needs no group state: any
 * order, microseconds per event.
 */
import { epoch, historyKey, isE2eeError, openArchiveCopy, type Group, type KeyStore, type SuiteName } from "@parley/crypto";
import type { Event } from "@parley/protocol";
import { ParleyError } from "../errors.ts";
import { base64ToBytes } from "../codec.ts";
import type { ChannelCrypto } from "./channel-state.ts";
import { equalBytes } from "./bytes.ts";
import type { DeviceDirectory } from "./directory.ts";
import { heldHistoryKey } from "./history-keys.ts";
import { openPayload } from "./payload.ts";
import type { Step } from "./step.ts";

/** What is wrong with an event's archive copy. */
export type ArchiveProblem = "missing" | "truncated" | "bad_framing" | "wrong_epoch" | "bad_signature" | "tampered" | "mismatch" | "unknown_sender";

/** An archive-copy fault shown on a message (its live content is shown). */
export interface ArchiveFault {
  reason: ArchiveProblem;
  message: string;
}

const PROBLEMS: Record<string, ArchiveProblem> = {
  archive_truncated: "truncated",
  archive_bad_framing: "bad_framing",
  archive_wrong_epoch: "wrong_epoch",
  archive_bad_signature: "bad_signature",
  archive_tampered: "tampered",
};

const CHECK_MESSAGES: Record<ArchiveProblem, string> = {
  missing: "sent without the archive copy this channel keeps: later devices and new members will not read it",
  truncated: "its archive copy is cut short",
  bad_framing: "its archive copy is not framed as one",
  wrong_epoch: "its archive copy names another epoch",
  bad_signature: "its archive copy is not signed by the sending device",
  tampered: "its archive copy does not open under the epoch's history key",
  mismatch: "its archive copy says something else than the message: later devices and new members would read that",
  unknown_sender: "the directory knows no signature key of the sending device",
};

/** What reading copies needs from the engine. */
export interface ArchiveAccess {
  orgId: string;
  keyStore: KeyStore;
  directory: DeviceDirectory;
  /** The suite whose signature scheme verifies copies (every suite Parley offers signs with the device's one Ed25519 key). */
  suite: SuiteName;
  /** Whether senders attach copies in this channel (its history policy is shared or joined; unknown: false). */
  expected(channelId: string): Promise<boolean>;
}

/** Opens and checks archive copies for one device. */
export class ArchiveReader {
  readonly #a: ArchiveAccess;

  constructor(access: ArchiveAccess) {
    this.#a = access;
  }

  /** The history key of an epoch of the channel: derived from the group when it is at that epoch, else as kept in the key store. */
  async key(ch: ChannelCrypto, generation: number, epochNo: number, group?: Group): Promise<Uint8Array | undefined> {
    const memo = ch.historyKeyMemo;
    if (memo && memo.generation === generation && memo.epoch === epochNo) return memo.key;
    let key = await heldHistoryKey(this.#a.keyStore, ch.id, generation, epochNo);
    // Derived only for the epoch the group is at (the exporter knows no other).
    if (!key && group && ch.generation === generation && Number(epoch(group)) === epochNo) key = await historyKey(group, ch.id, generation);
    if (key) ch.historyKeyMemo = { generation, epoch: epochNo, key };
    return key;
  }

  /**
   * Check a live event's copy against the payload its MLS message carried (`senderKey`: the
   * signature key of the sender's leaf). Returns the fault, or undefined when the copy agrees
   * (or none is expected). Never throws: MLS already spent the message's key.
   */
  async check(ch: ChannelCrypto, e: Event, plaintext: Uint8Array, senderKey: Uint8Array, group: Group): Promise<ArchiveFault | undefined> {
    if (!e.archive) return (await this.#a.expected(e.channelId).catch(() => false)) ? fault("missing") : undefined;
    try {
      const hk = await this.key(ch, e.generation ?? 0, e.epoch, group);
      if (!hk) return undefined; // an epoch this device holds no key for (cannot happen for a message MLS just opened)
      const payload = await this.#open(e, hk, senderKey);
      return equalBytes(payload, plaintext) ? undefined : fault("mismatch");
    } catch (err) {
      return faultOf(err) ?? fault("bad_framing");
    }
  }

  /** Whether this device could read the event from its archive copy (it has one, and the device holds its epoch's key). */
  async readable(ch: ChannelCrypto, e: Event): Promise<boolean> {
    return !!e.archive && !!(await this.key(ch, e.generation ?? 0, e.epoch));
  }

  /**
   * Read an event from its archive copy. Undefined when it has none or this device holds no key
   * for its epoch; an undecryptable step when the copy is bad. Throws only when the sender's
   * signature key could not be fetched (a transient failure: try again).
   */
  async read(ch: ChannelCrypto, e: Event): Promise<Step | undefined> {
    if (!e.archive) return undefined;
    const hk = await this.key(ch, e.generation ?? 0, e.epoch);
    if (!hk) return undefined;
    let senderKey: Uint8Array | undefined;
    try {
      senderKey = await this.#a.directory.pastSignatureKey(e.senderId, e.senderDeviceId);
    } catch (err) {
      if (!(err instanceof ParleyError && err.code === "not_found")) throw err;
    }
    if (!senderKey) return { t: "undecryptable", reason: "archive_invalid", message: CHECK_MESSAGES.unknown_sender };
    try {
      return openPayload(await this.#open(e, hk, senderKey), e);
    } catch (err) {
      return { t: "undecryptable", reason: "archive_invalid", message: (faultOf(err) ?? fault("bad_framing")).message };
    }
  }

  #open(e: Event, hk: Uint8Array, senderKey: Uint8Array): Promise<Uint8Array> {
    return openArchiveCopy({
      hk,
      orgId: this.#a.orgId,
      channelId: e.channelId,
      generation: e.generation ?? 0,
      epoch: BigInt(e.epoch),
      clientId: e.clientId,
      senderDeviceId: e.senderDeviceId,
      bytes: base64ToBytes(e.archive!),
      senderSignaturePublicKey: senderKey,
      suite: this.#a.suite,
    });
  }
}

function fault(reason: ArchiveProblem): ArchiveFault {
  return { reason, message: CHECK_MESSAGES[reason] };
}

function faultOf(err: unknown): ArchiveFault | undefined {
  if (!isE2eeError(err)) return undefined;
  const reason = PROBLEMS[err.code];
  return reason ? fault(reason) : undefined;
}
