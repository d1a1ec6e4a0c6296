/**
 * The SFU seam: what the calls module asks of the media server of group calls. Janus's
 * VideoRoom implements it (janus.ts). Every media stream through it is SFrame ciphertext
 * (rooms require end-to-end encryption), so the SFU forwards frames it cannot read.
 */

/** A WebRTC session description as the browser gives and takes it. */
export interface SessionDescription {
  type: "offer" | "answer";
  sdp: string;
}

/** An ICE candidate as RTCIceCandidate.toJSON() gives it; null ends the candidates. */
export type IceCandidate = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } | null;

/** Publisher or subscriber side of a participant. */
export type SfuRole = "publisher" | "subscriber";

/** What the SFU reports, relayed by the calls module to the clients of that call. */
export type SfuEvent =
  /**
   * The SFU connection came back after a loss: every room and media session is gone; clients
   * re-join (and re-key). `sessions`: the participants whose media sessions on this node the loss ended.
   */
  | { kind: "reconnected"; sessions: Array<{ callId: string; participantId: string }> }
  /** The SFU connection is lost. */
  | { kind: "down" }
  /** Feeds now published in a call (a publisher joined or left). */
  | { kind: "feeds"; callId: string; feeds: string[] }
  /** A participant's media session ended on the SFU side (hangup, ICE failure). */
  | { kind: "hangup"; callId: string; participantId: string; role: SfuRole; reason: string };

/** What the SFU forwards on one stream (by its `mid`) of a participant's subscription. */
export interface SfuStreamSettings {
  mid: string;
  /** false: stop forwarding this stream; true: forward it again. */
  send?: boolean;
  /** Simulcast layer (0 lowest to 2 highest). */
  substream?: number;
  /** Simulcast temporal layer (0 lowest to 2 all frames). */
  temporal?: number;
}

/**
 * Why the SFU refused a media request: `unavailable` (connection down, reconnecting), `no_session`
 * (no publisher / subscriber session for this participant on this node), `not_published` (a
 * feed asked for sends no media yet), `already_published`, `no_stream` (a mid that is not one of
 * the participant's subscription), `refused` (anything else the SFU
 * said no to; `sfuCode` is its error code).
 */
export class SfuError extends Error {
  readonly reason: "unavailable" | "no_session" | "not_published" | "already_published" | "no_stream" | "refused";
  readonly sfuCode: number | undefined;
  constructor(reason: SfuError["reason"], message: string, sfuCode?: number) {
    super(message);
    this.reason = reason;
    this.sfuCode = sfuCode;
  }
}

export interface SfuHealth {
  /** Connected to the SFU with a live session. */
  up: boolean;
  /** Rooms this node created and has not destroyed. */
  rooms: number;
  /** Times the connection came back after a loss. */
  reconnects: number;
}

export interface Sfu {
  /** Create the call's room if this node does not know it (end-to-end encryption required, opus + VP8, simulcast allowed). */
  ensureRoom(callId: string): Promise<void>;
  /** Destroy the call's room (gone already is fine). */
  destroyRoom(callId: string): Promise<void>;
  /** Join the call as a publisher with an SDP offer; the answer, and the feeds already published. Media operations throw {@link SfuError}. */
  publish(callId: string, participantId: string, offer: SessionDescription, display?: string): Promise<{ answer: SessionDescription; feeds: string[] }>;
  /** Change what a publisher sends, or renegotiate with a new offer (an ICE restart is an offer with new ICE credentials). */
  configure(
    callId: string,
    participantId: string,
    o: { audio?: boolean; video?: boolean; offer?: SessionDescription },
  ): Promise<{ answer: SessionDescription | undefined }>;
  /** Subscribe a participant to feeds (participant ids); the SFU's offer for the client to answer (with {@link Sfu.start}). */
  subscribe(callId: string, participantId: string, feeds: string[]): Promise<{ offer: SessionDescription }>;
  /** Complete a subscription with the client's answer. */
  start(callId: string, participantId: string, answer: SessionDescription): Promise<void>;
  /**
   * Change what the SFU forwards on streams of this participant's own subscription (stop or resume
   * a stream, pick a simulcast layer); no renegotiation. Every mid must be one of that
   * subscription's, else nothing changes ({@link SfuError} `no_stream`).
   */
  configureSubscription(callId: string, participantId: string, streams: SfuStreamSettings[]): Promise<void>;
  /** Restart ICE of a subscription: a fresh offer from the SFU. */
  restartSubscriber(callId: string, participantId: string): Promise<{ offer: SessionDescription }>;
  /** Pass a client's ICE candidate to its publisher or subscriber session. */
  trickle(callId: string, participantId: string, role: SfuRole, candidate: IceCandidate): Promise<void>;
  /** End a participant's media sessions. */
  leave(callId: string, participantId: string): Promise<void>;
  health(): SfuHealth;
  /** Listen to SFU events; returns the unsubscribe. */
  onEvent(listener: (e: SfuEvent) => void): () => void;
  close(): Promise<void>;
}
