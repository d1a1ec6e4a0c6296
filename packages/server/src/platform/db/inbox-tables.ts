/** Tables of the inbox (migration 0034, issue 13): thread reply counters and each user's state in a thread. */

/** One row per thread root with replies or followers. */
export interface ThreadsTable {
  channel_id: string;
  root_seq: number;
  root_sender_id: string;
  /** Replies (message events) ever written in the thread. */
  replies: number;
  /** The latest reply, or the root itself while there is none. */
  last_reply_seq: number;
  last_reply_at: number;
}

/** A user's state in a thread: following 1 / 0 (unfollowed, sticks) / null (read position only). */
export interface ThreadFollowsTable {
  user_id: string;
  channel_id: string;
  root_seq: number;
  following: number | null;
  read_seq: number;
  updated_at: number;
}
