/** The outcome of processing one timeline event (timeline.ts), shared by the modules that act on it. */
import type { Group } from "@parley/crypto";
import type { EncryptionReset } from "@parley/protocol";
import type { DecodedContent } from "../codec.ts";

/** Why an event could not be decrypted. */
export type UndecryptableReason =
  | "tampered"
  | "replay"
  | "old_epoch"
  | "removed"
  | "sender_mismatch"
  | "metadata_mismatch"
  | "malformed"
  | "own_message_unavailable"
  | "unauthorized_leaf"
  | "archive_invalid";

/** Outcome of one event. */
export type Step =
  | { t: "wait" }
  /** A check could not be made (the directory did not answer): try this event again later. */
  | { t: "retry"; message: string }
  | { t: "skip" }
  | { t: "history" }
  /** Sent before this device joined, with the key of its epoch held: read from its archive copy when a page of history is (archive.ts), not here. */
  | { t: "archived" }
  | { t: "content"; content: DecodedContent }
  | { t: "undecryptable"; reason: UndecryptableReason; message: string }
  /** `shareKeys`: the commit brought in new users and this device is the one to hand them the channel's past keys (share-keys.ts). */
  | { t: "handshake"; kind: "commit" | "proposal"; removedSelf: boolean; hasProposals: boolean; shareKeys?: boolean }
  /** A `keys` event: `added` past history keys were new to this device. */
  | { t: "keys"; added: number }
  /** The channel's encryption was reset: a new group (generation) from here on. */
  | { t: "reset"; info: EncryptionReset }
  /** This device's own external join, echoed before its answer came: the joined group takes over. */
  | { t: "joined"; group: Group; epoch: number };
