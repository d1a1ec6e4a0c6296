/**
 * What the calls module needs from the SFU (group calls): a room per call, made when the call
 * starts and destroyed when it ends — the part of platform/sfu's adapter (Janus VideoRoom,
 * `Deps.sfu`) this module uses. Without an SFU, group calls are signalled all the same and
 * clients find no room (1:1 calls need none: they are peer to peer).
 */
import type { Sfu } from "../../platform/sfu/types.ts";

export type CallRooms = Pick<Sfu, "ensureRoom" | "destroyRoom">;
