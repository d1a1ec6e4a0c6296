/** Tables of voice and video calls (migration 0041, issue 14): metadata only, never media or keys. */

/** A call of a channel or DM. */
export interface CallsTable {
  id: string;
  org_id: string;
  channel_id: string;
  /** `p2p` (a DM's 1:1 call) or `sfu` (a group call). */
  kind: string;
  started_by: string;
  started_device: string;
  started_at: number;
  /** When a second device joined (the call setup time's end); null while nobody answered. */
  answered_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  /** The channel id while the call goes on (unique: one active call per channel), null once it ended. */
  active_channel: string | null;
}

/** One device's stay in a call; `left_at` null while it is in the call. */
export interface CallParticipantsTable {
  id: string;
  call_id: string;
  user_id: string;
  device_id: string;
  joined_at: number;
  left_at: number | null;
  /** `left`, `removed` or `ended`. */
  leave_reason: string | null;
  audio_muted: number;
  video_muted: number;
  screen_sharing: number;
  hand_raised: number;
  /** Since when this device records the call (ms); null: it does not (migration 0043). */
  recording_since: number | null;
}

/** A user a call rang, and their answer (`accepted`, `declined`, `busy`) once given. */
export interface CallRingsTable {
  call_id: string;
  user_id: string;
  answer: string | null;
  answered_at: number | null;
}
