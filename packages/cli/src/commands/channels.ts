/**
 * `parley channel ...` and `parley dm`: channels by name, members by username.
 * Membership changes go through the SDK client so the channel's MLS group
 * follows (create makes the group, invite adds the devices, join joins by
 * external commit; a kick or leave makes the server propose the removal).
 */
import { ChannelRole, type Channel, type MyChannel } from "@parley/protocol";
import { str, type Command } from "../command.ts";
import { CliError } from "../errors.ts";
import { table } from "../render.ts";
import { directory, resolveChannel, withClient } from "../session.ts";

const kindLabel = (c: Pick<Channel, "kind" | "archived">) => `${c.kind}${c.archived ? ", archived" : ""}`;
function channelRow(c: MyChannel, name: (id: string) => string): string[] {
  const title = c.kind === "dm" || c.kind === "group_dm" ? `@${(c.dmUserIds ?? []).map(name).join(",")}` : `#${c.name}`;
  const unread = c.unread ? `${c.unread} unread${c.mentions ? `, ${c.mentions} mention(s)` : ""}` : "";
  return [title, kindLabel(c), c.myRole, unread, c.topic];
}

export const channelCommands: Command[] = [
  {
    name: ["channel", "create"],
    usage: "NAME [--private] [--topic T]",
    summary: "Create a channel (public unless --private); you become its admin",
    min: 1,
    options: { private: { type: "boolean" }, topic: { type: "string" } },
    async run(ctx) {
      const ch = await withClient(
        ctx,
        ({ client }) =>
          client.createChannel({
            kind: ctx.opts.private ? "private" : "public",
            name: ctx.args[0]!.replace(/^#/, ""),
            topic: str(ctx.opts, "topic") ?? "",
          }),
        { sync: true },
      );
      ctx.out.result({ channel: ch }, `Created ${ch.kind} channel #${ch.name}. Invite people: parley channel invite ${ch.name} USER...`);
    },
  },
  {
    name: ["channel", "list"],
    usage: "",
    summary: "Channels and DMs you are in, with unread counts",
    async run(ctx) {
      const { channels, name } = await withClient(ctx, async ({ api }) => {
        const [{ channels }, dir] = await Promise.all([api.call("listChannels"), directory(api)]);
        return { channels, name: dir.name };
      });
      ctx.out.result({ channels }, () =>
        channels.length ? table(channels.map((c) => channelRow(c, name))) : "You are in no channel yet: parley channel browse · parley channel create NAME",
      );
    },
  },
  {
    name: ["channel", "browse"],
    usage: "[--search Q] [--archived]",
    summary: "Public channels of your organisation",
    options: { search: { type: "string" }, archived: { type: "boolean" } },
    async run(ctx) {
      const q = str(ctx.opts, "search");
      const { channels } = await withClient(ctx, ({ api }) =>
        api.call("browseChannels", {
          query: { ...(q ? { q } : {}), ...(ctx.opts.archived ? { includeArchived: "true" as const } : {}) },
        }),
      );
      ctx.out.result({ channels }, () => table(channels.map((c) => [`#${c.name}`, kindLabel(c), c.joined ? "joined" : "", c.topic])));
    },
  },
  {
    name: ["channel", "join"],
    usage: "NAME",
    summary: "Join a public channel",
    min: 1,
    async run(ctx) {
      const ch = await withClient(
        ctx,
        async ({ api, client }) => {
          const name = ctx.args[0]!.replace(/^#/, "");
          const { channels } = await api.call("browseChannels", { query: { q: name } });
          const found = channels.find((c) => c.name === name) ?? channels.find((c) => c.name.toLowerCase() === name.toLowerCase());
          if (!found)
            throw new CliError("not_found", `no public channel named "${name}"`, "see `parley channel browse`; private channels need an invite from a member");
          return client.joinChannel(found.id);
        },
        { sync: true },
      );
      ctx.out.result({ channel: ch }, `Joined #${ch.name}.`);
    },
  },
  {
    name: ["channel", "invite"],
    usage: "NAME USER...",
    summary: "Add users to a channel",
    min: 2,
    max: 1000,
    async run(ctx) {
      const { added, ch } = await withClient(
        ctx,
        async ({ api, client }) => {
          const ch = await resolveChannel(client, ctx.args[0]!);
          const dir = await directory(api);
          const userIds = ctx.args.slice(1).map((u) => dir.byName(u).id);
          const added = await client.addMembers(ch.id, userIds);
          return { added: added.map((id) => dir.name(id)), ch };
        },
        { sync: true },
      );
      ctx.out.result({ channel: ch.name, added }, added.length ? `Added ${added.join(", ")} to #${ch.name}.` : "Everyone named is already a member.");
    },
  },
  {
    name: ["channel", "kick"],
    usage: "NAME USER",
    summary: "Remove a member from a channel (channel admins; moderators remove members and readers)",
    min: 2,
    async run(ctx) {
      const ch = await withClient(
        ctx,
        async ({ api, client }) => {
          const ch = await resolveChannel(client, ctx.args[0]!);
          const user = (await directory(api)).byName(ctx.args[1]!);
          await client.removeMember(ch.id, user.id);
          return ch;
        },
        { sync: true },
      );
      ctx.out.result({ channel: ch.name, removed: ctx.args[1] }, `Removed ${ctx.args[1]} from #${ch.name}.`);
    },
  },
  {
    name: ["channel", "role"],
    usage: "NAME USER ROLE",
    summary: "Set a member's channel role: admin, moderator, member or reader (channel admins, org admins)",
    min: 3,
    max: 3,
    async run(ctx) {
      const role = ChannelRole.safeParse(ctx.args[2]!.toLowerCase());
      if (!role.success) throw new CliError("usage", `"${ctx.args[2]}" is not a channel role`, `one of: ${ChannelRole.options.join(", ")}`, 2);
      const { ch, member } = await withClient(ctx, async ({ api, client }) => {
        const ch = await resolveChannel(client, ctx.args[0]!);
        const user = (await directory(api)).byName(ctx.args[1]!);
        const member = await api.call("setMemberRole", { params: { channelId: ch.id, userId: user.id }, body: { role: role.data } });
        return { ch, member };
      });
      ctx.out.result({ channel: ch.name, member }, `${ctx.args[1]} is now ${member.role === "admin" ? "an" : "a"} ${member.role} of #${ch.name}.`);
    },
  },
  {
    name: ["channel", "leave"],
    usage: "NAME",
    summary: "Leave a channel",
    min: 1,
    async run(ctx) {
      const ch = await withClient(ctx, async ({ api, client }) => {
        const ch = await resolveChannel(client, ctx.args[0]!);
        await api.call("leaveChannel", { params: { channelId: ch.id } });
        return ch;
      });
      ctx.out.result({ left: ch.name }, `Left #${ch.name}.`);
    },
  },
  {
    name: ["channel", "rename"],
    usage: "NAME NEW_NAME",
    summary: "Rename a channel (channel admins)",
    min: 2,
    async run(ctx) {
      const ch = await withClient(ctx, async ({ api, client }) =>
        api.call("updateChannel", {
          params: { channelId: (await resolveChannel(client, ctx.args[0]!)).id },
          body: { name: ctx.args[1]!.replace(/^#/, "") },
        }),
      );
      ctx.out.result({ channel: ch }, `Renamed to #${ch.name}.`);
    },
  },
  {
    name: ["channel", "topic"],
    usage: "NAME TOPIC",
    summary: "Set a channel's topic (channel admins)",
    min: 2,
    async run(ctx) {
      const ch = await withClient(ctx, async ({ api, client }) =>
        api.call("updateChannel", {
          params: { channelId: (await resolveChannel(client, ctx.args[0]!)).id },
          body: { topic: ctx.args[1]! },
        }),
      );
      ctx.out.result({ channel: ch }, `Topic of #${ch.name}: ${ch.topic}`);
    },
  },
  ...(["archive", "unarchive"] as const).map((verb): Command => ({
    name: ["channel", verb],
    usage: "NAME",
    min: 1,
    summary: verb === "archive" ? "Archive a channel: read-only until unarchived" : "Unarchive a channel",
    async run(ctx) {
      const ch = await withClient(ctx, async ({ api, client }) => {
        const params = { channelId: (await resolveChannel(client, ctx.args[0]!)).id };
        return verb === "archive" ? api.call("archiveChannel", { params }) : api.call("unarchiveChannel", { params });
      });
      ctx.out.result({ channel: ch }, `#${ch.name} is ${ch.archived ? "archived" : "active"}.`);
    },
  })),
  {
    name: ["dm"],
    usage: "USER...",
    summary: "Open the DM (or group DM) with these users; then: parley send @USER TEXT",
    min: 1,
    max: 50,
    async run(ctx) {
      const { ch, names } = await withClient(
        ctx,
        async ({ api, client }) => {
          const dir = await directory(api);
          const ids = ctx.args.map((u) => dir.byName(u).id);
          const ch = await client.openDm(ids);
          return { ch, names: (ch.dmUserIds ?? ids).map(dir.name) };
        },
        { sync: true },
      );
      ctx.out.result({ channel: ch }, `DM with ${names.join(", ")} is open. Send: parley send @${ctx.args.map((a) => a.replace(/^@/, "")).join(",")} TEXT`);
    },
  },
];
