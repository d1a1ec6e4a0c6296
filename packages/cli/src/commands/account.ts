/**
 * Signing in and out, first-run setup, accepting invites, and what a user
 * can see about themselves: whoami, sessions, devices, the user directory.
 */
import os from "node:os";
import { createApi } from "@parley/sdk/node";
import { required, str, type Command, type Ctx } from "../command.ts";
import { readPassword } from "../password.ts";
import { openStore, saveTokens, serverUrl, withClient } from "../session.ts";
import { table, when } from "../render.ts";
import { deviceLine, userLine } from "./admin.ts";
import type { AuthTokens } from "@parley/protocol";

const deviceName = (ctx: Ctx) => str(ctx.opts, "device-name") ?? `parley cli on ${os.hostname()}`.slice(0, 80);

function signedInResult(ctx: Ctx, t: AuthTokens, baseUrl: string, verb: string): void {
  ctx.out.result({ server: baseUrl, user: t.user, org: t.org, deviceId: t.deviceId, sessionId: t.sessionId }, [
    `${verb} as ${t.user.username} (${t.user.role}) in ${t.org.name} (${t.org.slug}) on ${baseUrl}`,
    "Next: parley channel list · parley channel create NAME · parley send CHANNEL TEXT",
  ]);
}

export const accountCommands: Command[] = [
  {
    name: ["setup"], usage: "--server URL --token TOKEN --org SLUG --org-name NAME --username U --display-name D",
    summary: "First-run setup over HTTP with the token `parley start` printed; signs you in",
    options: {
      server: { type: "string" }, token: { type: "string" }, org: { type: "string" }, "org-name": { type: "string" },
      username: { type: "string" }, "display-name": { type: "string" }, "device-name": { type: "string" },
    },
    async run(ctx) {
      const u = "setup --server URL --token TOKEN --org SLUG --org-name NAME --username U --display-name D";
      const baseUrl = serverUrl(required(ctx.opts, "server", u));
      const body = {
        setupToken: required(ctx.opts, "token", u), orgSlug: required(ctx.opts, "org", u), orgName: required(ctx.opts, "org-name", u),
        username: required(ctx.opts, "username", u), displayName: required(ctx.opts, "display-name", u), deviceName: deviceName(ctx),
        password: await readPassword(ctx.env, ctx.stdin),
      };
      const t = await createApi({ baseUrl }).call("setup", { body });
      await saveTokens(ctx, baseUrl, t);
      signedInResult(ctx, t, baseUrl, "Created the org and signed in");
    },
  },
  {
    name: ["login"], usage: "--server URL --org SLUG --username U [--device-name N]",
    summary: "Sign in (password from PARLEY_PASSWORD or stdin); the session is kept in the profile",
    options: { server: { type: "string" }, org: { type: "string" }, username: { type: "string" }, "device-name": { type: "string" } },
    async run(ctx) {
      const u = "login --server URL --org SLUG --username U";
      const baseUrl = serverUrl(required(ctx.opts, "server", u));
      const org = required(ctx.opts, "org", u);
      const username = required(ctx.opts, "username", u);
      const password = await readPassword(ctx.env, ctx.stdin);
      // Signing in again as the same user on the same server keeps this profile's device.
      const store = await openStore(ctx);
      const prev = await store.loadSession();
      await store.close();
      const sameDevice = prev && prev.baseUrl === baseUrl && prev.orgSlug === org && prev.username === username ? prev.deviceId : undefined;
      const t = await createApi({ baseUrl }).call("login", {
        body: { org, username, password, deviceName: deviceName(ctx), ...(sameDevice ? { deviceId: sameDevice } : {}) },
      });
      await saveTokens(ctx, baseUrl, t);
      signedInResult(ctx, t, baseUrl, "Signed in");
    },
  },
  {
    name: ["logout"], usage: "", summary: "End this profile's session on the server and forget it locally",
    async run(ctx) {
      await withClient(ctx, async ({ api, auth }) => {
        // A session the server already ended still gets forgotten locally.
        await api.call("logout").catch(() => undefined);
        await auth.clear();
      });
      ctx.out.result({ signedOut: true }, "Signed out.");
    },
  },
  {
    name: ["invite", "accept"], usage: "TOKEN --server URL --username U --display-name D",
    summary: "Create your account from an invite token and sign in (password from PARLEY_PASSWORD or stdin)", min: 1,
    options: { server: { type: "string" }, username: { type: "string" }, "display-name": { type: "string" }, "device-name": { type: "string" } },
    async run(ctx) {
      const u = "invite accept TOKEN --server URL --username U --display-name D";
      // Accept a full invite link too: its last path segment is the token.
      const raw = ctx.args[0]!;
      const token = raw.includes("/") ? raw.replace(/\/+$/, "").split("/").pop()! : raw;
      const baseUrl = serverUrl(str(ctx.opts, "server") ?? (raw.includes("/") ? raw : required(ctx.opts, "server", u)));
      const username = required(ctx.opts, "username", u);
      const displayName = required(ctx.opts, "display-name", u);
      const password = await readPassword(ctx.env, ctx.stdin);
      const t = await createApi({ baseUrl }).call("acceptInvite", { body: { token, username, displayName, password, deviceName: deviceName(ctx) } });
      await saveTokens(ctx, baseUrl, t);
      signedInResult(ctx, t, baseUrl, "Joined and signed in");
    },
  },
  {
    name: ["whoami"], usage: "", summary: "Who this profile is signed in as",
    async run(ctx) {
      const me = await withClient(ctx, async ({ api, session }) => ({ server: session.baseUrl, ...(await api.call("me")) }));
      ctx.out.result(me, `${me.user.username} (${me.user.displayName}, ${me.user.role}) in ${me.org.name} (${me.org.slug}) on ${me.server}, device ${me.deviceId}`);
    },
  },
  {
    name: ["sessions"], usage: "", summary: "Your active sessions",
    async run(ctx) {
      const { sessions } = await withClient(ctx, ({ api }) => api.call("listSessions"));
      ctx.out.result({ sessions }, () => table(sessions.map((s) => [s.id, s.deviceName, `since ${when(s.createdAt)}`, `last used ${when(s.lastUsedAt)}`, s.current ? "(this one)" : ""])));
    },
  },
  {
    name: ["devices"], usage: "", summary: "Your devices",
    async run(ctx) {
      const { devices } = await withClient(ctx, ({ api }) => api.call("listDevices"));
      ctx.out.result({ devices }, () => table(devices.map(deviceLine)));
    },
  },
  {
    name: ["users"], usage: "[--search Q]", summary: "Users of your organisation",
    options: { search: { type: "string" } },
    async run(ctx) {
      const q = str(ctx.opts, "search");
      const { users } = await withClient(ctx, ({ api }) => api.call("listUsers", { query: q ? { q } : {} }));
      ctx.out.result({ users }, () => table(users.map(userLine)));
    },
  },
];
