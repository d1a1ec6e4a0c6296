/**
 * What the signed-in user may do in a channel by their channel role (admin, moderator,
 * member, reader). The server decides (modules/access/authorize.ts); these only choose
 * which controls to show, and mirror its rules.
 */
import type { ChannelMember, ChannelRole, MyChannel } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";

/** The roles a channel admin can give, most privileged first, with their labels. */
export const CHANNEL_ROLES: ReadonlyArray<{ role: ChannelRole; label: string }> = [
  { role: "admin", label: "Admin" },
  { role: "moderator", label: "Moderator" },
  { role: "member", label: "Member" },
  { role: "reader", label: "Reader" },
];

const isDm = (c: MyChannel) => c.kind === "dm" || c.kind === "group_dm";
const orgAdmin = (chat: ChatStore) => chat.can("channel.manage_any");

/** Readers read but never post (messages, replies, reactions, edits, files). */
export function mayPost(c: MyChannel): boolean {
  return c.myRole !== "reader";
}

/** Add people: members of public channels (not guests or readers), channel admins and moderators, org admins. */
export function mayInvite(chat: ChatStore, c: MyChannel): boolean {
  if (c.kind === "dm" || c.archived) return false;
  if (c.kind === "group_dm") return false; // a group DM's members are fixed
  if (c.myRole === "admin" || c.myRole === "moderator" || orgAdmin(chat)) return true;
  return c.kind === "public" && c.myRole === "member" && chat.me.role !== "guest";
}

/** Change members' channel roles: channel admins and org admins, never in DMs. */
export function mayManageRoles(chat: ChatStore, c: MyChannel): boolean {
  return !isDm(c) && (c.myRole === "admin" || orgAdmin(chat));
}

/** Remove a member with `role`: admins anyone; moderators members and readers. */
export function mayRemove(chat: ChatStore, c: MyChannel, role: ChannelRole): boolean {
  if (isDm(c)) return false;
  if (c.myRole === "admin" || orgAdmin(chat)) return true;
  return c.myRole === "moderator" && (role === "member" || role === "reader");
}

/** Delete others' messages: channel admins, moderators and org admins, never in DMs. */
export function mayDeleteOthers(chat: ChatStore, c: MyChannel | undefined): boolean {
  return !!c && !isDm(c) && (c.myRole === "admin" || c.myRole === "moderator" || orgAdmin(chat));
}

/** A channel's members with their roles. */
export async function channelMembers(chat: ChatStore, channelId: string): Promise<ChannelMember[]> {
  return (await chat.client.api.call("listMembers", { params: { channelId } })).members;
}

/** Set a member's channel role (rejects with the server's error). */
export async function setChannelRole(chat: ChatStore, channelId: string, userId: string, role: ChannelRole): Promise<void> {
  await chat.client.api.call("setMemberRole", { params: { channelId, userId }, body: { role } });
  await chat.refreshChannels();
}

/** Remove a member (the server proposes removing their devices from the group). */
export async function removeChannelMember(chat: ChatStore, channelId: string, userId: string): Promise<void> {
  await chat.client.api.call("removeMember", { params: { channelId, userId } });
  await chat.refreshChannels();
}
