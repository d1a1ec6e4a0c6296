/** Tables of bots (migration 0036, issue 13). */

/** A slash command a bot (service account) answers: metadata only, never message content. */
export interface BotCommandsTable {
  user_id: string;
  name: string;
  org_id: string;
  description: string;
  usage: string;
  updated_at: number;
}
