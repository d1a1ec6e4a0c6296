/**
 * Bulk reads for one group-commit batch: a handful of queries however many
 * sends it holds, instead of several queries per send.
 */
import type { Tx } from "../../platform/db/index.ts";
import type { ChannelRow, MembershipRow } from "../channels/store.ts";
import type { EventRef, EventRow } from "./store.ts";
import type { EditPolicy } from "@parley/protocol";
import { orgSettings } from "../e2ee/store.ts";
import { editPolicyIn } from "./edit-policy.ts";

export interface BatchRequest {
  orgId: string;
  userId: string;
  channelId: string;
  clientId: string;
  refs: number[];
  mentions: string[];
  /** The request is an edit: its org's edit policy is loaded. */
  edit: boolean;
}

export interface BatchRows {
  channels: Map<string, ChannelRow>;
  /** key: channelId \n userId */
  memberships: Map<string, MembershipRow>;
  /** key: channelId \n clientId — events already committed with that clientId. */
  committed: Map<string, EventRow>;
  /** key: channelId \n seq */
  refs: Map<string, EventRef>;
  /** Active users by id, with their org. */
  users: Map<string, string>;
  /** Edit policies of the orgs with an edit in the batch. */
  editPolicies: Map<string, EditPolicy>;
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];
const CHUNK = 500;

async function chunked<T, R>(xs: T[], f: (part: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(...(await f(xs.slice(i, i + CHUNK))));
  return out;
}

export async function loadBatchRows(tx: Tx, reqs: BatchRequest[]): Promise<BatchRows> {
  const channelIds = uniq(reqs.map((r) => r.channelId));
  const userIds = uniq(reqs.map((r) => r.userId));
  const clientIds = uniq(reqs.map((r) => r.clientId));
  const seqs = uniq(reqs.flatMap((r) => r.refs));
  const mentioned = uniq(reqs.flatMap((r) => r.mentions));
  const rows: BatchRows = { channels: new Map(), memberships: new Map(), committed: new Map(), refs: new Map(), users: new Map(), editPolicies: new Map() };
  for (const c of await tx.selectFrom("channels").selectAll().where("id", "in", channelIds).execute()) rows.channels.set(c.id, c);
  const members = await chunked(userIds, (part) =>
    tx
      .selectFrom("channel_members")
      .select(["channel_id", "user_id", "role", "read_seq", "joined_at"])
      .where("channel_id", "in", channelIds)
      .where("user_id", "in", part)
      .execute(),
  );
  for (const m of members) rows.memberships.set(`${m.channel_id}\n${m.user_id}`, m);
  const committed = await chunked(clientIds, (part) =>
    tx.selectFrom("events").selectAll().where("channel_id", "in", channelIds).where("client_id", "in", part).execute(),
  );
  for (const e of committed) rows.committed.set(`${e.channel_id}\n${e.client_id}`, e);
  if (seqs.length) {
    const refs = await chunked(seqs, (part) =>
      tx
        .selectFrom("events")
        .select(["channel_id", "seq", "kind", "sender_id", "thread_root", "created_at"])
        .where("channel_id", "in", channelIds)
        .where("seq", "in", part)
        .execute(),
    );
    for (const r of refs) {
      rows.refs.set(`${r.channel_id}\n${Number(r.seq)}`, {
        seq: Number(r.seq),
        kind: r.kind,
        sender_id: r.sender_id,
        thread_root: r.thread_root === null ? null : Number(r.thread_root),
        created_at: Number(r.created_at),
      });
    }
  }
  if (mentioned.length) {
    const users = await chunked(mentioned, (part) =>
      tx.selectFrom("users").select(["id", "org_id"]).where("id", "in", part).where("deactivated_at", "is", null).execute(),
    );
    for (const u of users) rows.users.set(u.id, u.org_id);
  }
  for (const orgId of uniq(reqs.filter((r) => r.edit).map((r) => r.orgId))) rows.editPolicies.set(orgId, editPolicyIn(await orgSettings(tx, orgId)));
  return rows;
}
