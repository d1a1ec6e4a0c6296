/**
 * The per-user stream: membership, device and profile changes that are not
 * in any channel's timeline. Each user has a gap-free seq (users.stream_seq,
 * bumped in the writing transaction).
 */
import type { User, UserStreamItem, UserStreamKind } from "@parley/protocol";
import type { Tx } from "../../platform/db/index.ts";
import type { AfterCommit } from "../../command.ts";

export interface StreamAppend {
  orgId: string;
  userId: string;
  kind: UserStreamKind;
  channelId?: string | null;
  data: Record<string, unknown>;
  now: number;
}

/** Append one item to a user's stream inside `tx`; it is published after commit. */
export async function appendUserStream(tx: Tx, after: AfterCommit, a: StreamAppend): Promise<UserStreamItem> {
  const row = await tx
    .updateTable("users")
    .set((eb) => ({ stream_seq: eb("stream_seq", "+", 1) }))
    .where("id", "=", a.userId)
    .returning("stream_seq")
    .executeTakeFirstOrThrow();
  const item: UserStreamItem = { seq: Number(row.stream_seq), kind: a.kind, channelId: a.channelId ?? null, data: a.data, createdAt: a.now };
  await tx
    .insertInto("user_stream")
    .values({
      user_id: a.userId,
      seq: item.seq,
      kind: item.kind,
      channel_id: item.channelId,
      data: JSON.stringify(item.data),
      created_at: a.now,
    })
    .execute();
  after.publish("user.item", { orgId: a.orgId, userId: a.userId, item });
  // Every change of a user's profile is a "user.updated" item: their org sees it live (without the email, which only they and admins see).
  if (a.kind === "user.updated") {
    const { email: _email, ...user } = (a.data as { user: User }).user;
    after.publish("user.profile", { orgId: a.orgId, user });
  }
  return item;
}

/** Items after `after`, oldest first. */
export async function listUserStream(
  tx: Tx | import("../../platform/db/index.ts").Db,
  userId: string,
  after: number,
  limit: number,
): Promise<{ items: UserStreamItem[]; hasMore: boolean }> {
  const rows = await tx
    .selectFrom("user_stream")
    .selectAll()
    .where("user_id", "=", userId)
    .where("seq", ">", after)
    .orderBy("seq")
    .limit(limit + 1)
    .execute();
  const items = rows.slice(0, limit).map((r) => ({
    seq: Number(r.seq),
    kind: r.kind as UserStreamKind,
    channelId: r.channel_id,
    data: JSON.parse(r.data) as Record<string, unknown>,
    createdAt: Number(r.created_at),
  }));
  return { items, hasMore: rows.length > limit };
}
