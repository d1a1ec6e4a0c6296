/**
 * Read-side of channels: what listChannels, getChannel, browseChannels and
 * listMembers return. Counts come from one query per listing.
 */
import type { Channel, ChannelMember, ChannelRole, MyChannel } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { authorize } from "../access/authorize.ts";
import { AppError } from "../../core/errors.ts";
import { channelFor } from "./access.ts";
import { countMembers, dmPeers, listMemberRows, myChannelRows, publicChannelRows, toChannel, type Q } from "./store.ts";

type MyRow = Awaited<ReturnType<typeof myChannelRows>>[number];

function toMyChannel(r: MyRow, peers: Map<string, string[]>): MyChannel {
  const isDm = r.kind === "dm" || r.kind === "group_dm";
  return {
    ...toChannel(r, Number(r.member_count ?? 0)),
    myRole: r.my_role,
    readSeq: Number(r.read_seq),
    unread: Number(r.unread ?? 0),
    mentions: Number(r.mention_count ?? 0),
    ...(isDm ? { dmUserIds: peers.get(r.id) ?? [] } : {}),
  };
}

/** Channels `p` belongs to, with unread and mention counts. */
export async function listMyChannels(q: Q, p: DeviceActor): Promise<MyChannel[]> {
  const rows = await myChannelRows(q, p.userId);
  const dmIds = rows.filter((r) => r.kind === "dm" || r.kind === "group_dm").map((r) => r.id);
  const peers = await dmPeers(q, dmIds, p.userId);
  return rows.map((r) => toMyChannel(r, peers));
}

/** One channel as its member `p` sees it (404 if `p` is not a member). */
export async function myChannel(q: Q, p: DeviceActor, channelId: string): Promise<MyChannel> {
  const [row] = await myChannelRows(q, p.userId, channelId);
  if (!row || row.org_id !== p.orgId) throw new AppError("not_found", "channel not found");
  const peers = row.kind === "dm" || row.kind === "group_dm" ? await dmPeers(q, [row.id], p.userId) : new Map<string, string[]>();
  return toMyChannel(row, peers);
}

export async function getChannel(deps: Deps, p: DeviceActor, channelId: string): Promise<Channel & { myRole: ChannelRole | null }> {
  const ch = await channelFor(deps.db, p, channelId, "channel.read");
  return { ...toChannel(ch.row, await countMembers(deps.db, channelId)), myRole: ch.membership?.role ?? null };
}

/** A page of the org's public channels by name, matching `q` in name or topic. */
export async function browseChannels(
  deps: Deps,
  p: DeviceActor,
  opts: { q?: string | undefined; includeArchived: boolean; limit: number; offset: number },
): Promise<{ channels: Array<Channel & { joined: boolean }>; hasMore: boolean }> {
  authorize(p, "channel.browse", { type: "org", orgId: p.orgId });
  const rows = await publicChannelRows(deps.db, p.orgId, p.userId, opts);
  const hasMore = rows.length > opts.limit;
  return { channels: rows.slice(0, opts.limit).map((r) => ({ ...toChannel(r, Number(r.member_count ?? 0)), joined: Boolean(r.joined) })), hasMore };
}

export async function listMembers(deps: Deps, p: DeviceActor, channelId: string): Promise<ChannelMember[]> {
  await channelFor(deps.db, p, channelId, "channel.read");
  return listMemberRows(deps.db, channelId);
}
