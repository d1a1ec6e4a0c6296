/**
 * What the calls module needs from an SFU (group calls): a room per call, made when the call
 * starts and destroyed when it ends. The SFU adapter (platform/sfu, Janus VideoRoom) satisfies
 * it and is wired into Deps as `callRooms`; without one, group calls are signalled all the same
 * and clients find no room (1:1 calls need none: they are peer to peer).
 */
export interface CallRooms {
  /** Make sure the SFU has a room for this call (idempotent). */
  ensureRoom(callId: string): Promise<void>;
  /** Destroy the call's room (idempotent; an unknown room is no error). */
  destroyRoom(callId: string): Promise<void>;
}
