/**
 * The part of `janode` (Meetecho's Janus client, which ships no types) that platform/sfu uses:
 * one WebSocket connection, one Janus session, VideoRoom handles. See the package's JSDoc
 * (src/janode.js, src/plugins/videoroom-plugin.js) for the full API.
 */
declare module "janode" {
  import type { EventEmitter } from "node:events";

  export interface Jsep {
    type: "offer" | "answer";
    sdp: string;
    e2ee?: boolean;
  }
  export interface JanodeHandle extends EventEmitter {
    id: number;
    detach(): Promise<void>;
    hangup(): Promise<void>;
    trickle(candidate: unknown): Promise<void>;
    trickleComplete(): Promise<void>;
  }
  export interface JanodeSession extends EventEmitter {
    id: number;
    attach<H extends JanodeHandle>(plugin: { id: string; Handle: new (...args: never[]) => H }): Promise<H>;
    destroy(): Promise<void>;
  }
  export interface JanodeConnection extends EventEmitter {
    create(keepAliveSeconds?: number): Promise<JanodeSession>;
    /** Janus's `info` request (name, version, plugins). */
    getInfo(): Promise<Record<string, unknown>>;
    close(): Promise<void>;
  }
  const Janode: {
    connect(config: { address: { url: string; apisecret?: string }; retry_time_secs?: number; max_retries?: number }): Promise<JanodeConnection>;
    Logger: { setLevel(level: "none" | "error" | "warning" | "info" | "verbose" | "debug"): unknown };
    EVENT: {
      CONNECTION_CLOSED: string;
      CONNECTION_ERROR: string;
      SESSION_DESTROYED: string;
      HANDLE_DETACHED: string;
      HANDLE_HANGUP: string;
      HANDLE_ICE_FAILED: string;
      HANDLE_WEBRTCUP: string;
    };
  };
  export default Janode;
}

declare module "janode/plugins/videoroom" {
  import type { JanodeHandle, Jsep } from "janode";

  export interface VideoRoomPublisher {
    feed: string;
    display?: string;
  }
  /** [multistream] One m-line of a subscription as Janus lists it. */
  export interface VideoRoomSubscribedStream {
    mid: string;
    type?: string;
    feed_id?: string;
    feed_mid?: string;
    active?: boolean;
  }
  export interface VideoRoomHandle extends JanodeHandle {
    create(o: {
      room: string;
      secret?: string;
      admin_key?: string;
      is_private?: boolean;
      max_publishers?: number;
      audiocodec?: string;
      videocodec?: string;
      require_e2ee?: boolean;
      notify_joining?: boolean;
      talking_events?: boolean;
    }): Promise<{ room: string }>;
    destroy(o: { room: string; secret?: string }): Promise<{ room: string }>;
    exists(o: { room: string }): Promise<{ room: string; exists: boolean }>;
    listParticipants(o: { room: string; secret?: string }): Promise<{ room: string; participants: { feed: string; display?: string; publisher: boolean }[] }>;
    joinConfigurePublisher(o: {
      room: string;
      feed: string;
      display?: string;
      e2ee?: boolean;
      jsep: Jsep;
    }): Promise<{ feed: string; publishers: VideoRoomPublisher[]; jsep?: Jsep }>;
    configure(o: {
      audio?: boolean;
      video?: boolean;
      restart?: boolean;
      e2ee?: boolean;
      jsep?: Jsep;
      /** [multistream] per-stream settings of a subscriber (mid, send, substream, temporal). */
      streams?: { mid: string; send?: boolean; substream?: number; temporal?: number }[];
    }): Promise<{ jsep?: Jsep }>;
    joinSubscriber(o: {
      room: string;
      streams: { feed: string; mid?: string }[];
      autoupdate?: boolean;
      use_msid?: boolean;
    }): Promise<{ jsep?: Jsep; streams?: VideoRoomSubscribedStream[] }>;
    update(o: { subscribe?: { feed: string }[]; unsubscribe?: { feed: string }[] }): Promise<{ jsep?: Jsep; streams?: VideoRoomSubscribedStream[] }>;
    start(o: { jsep: Jsep; e2ee?: boolean }): Promise<unknown>;
    leave(): Promise<unknown>;
  }
  const VideoRoomPlugin: {
    id: string;
    Handle: new (...args: never[]) => VideoRoomHandle;
    EVENT: { VIDEOROOM_PUB_LIST: string; VIDEOROOM_UNPUBLISHED: string; VIDEOROOM_LEAVING: string; VIDEOROOM_DESTROYED: string };
  };
  export default VideoRoomPlugin;
}
