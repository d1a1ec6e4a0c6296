/**
 * Signing in and out, first-run setup, accepting invites, and what a user
 * can see about themselves: whoami, sessions, devices, the user directory.
 */
import os from "node:os";
import { ParleyClient, isParleyError } from "@parley/sdk/node";
import { required, str, type Command, type Ctx } from "../command.ts";
import { readPassword } from "../password.ts";
import { CliError } from "../errors.ts";
import { signInSecondFactor } from "../second-factor.ts";
import { signIn, serverUrl, withAccount, withClient } from "../session.ts";
import { e2eeOptions } from "../content.ts";
import { table, when } from "../render.ts";
import { userLine } from "./admin.ts";
import { emailArg, profileLines } from "./account-settings.ts";
import { lockerAfterSignIn, recoveryKeyLines } from "./recovery-key.ts";

const deviceName = (ctx: Ctx) => str(ctx.opts, "device-name") ?? `parley cli on ${os.hostname()}`.slice(0, 80);

/** What a finished sign-in shows: who and where, a first device's recovery key, an MFA requirement still to meet. */
export async function signedInSummary(ctx: Ctx, verb: string): Promise<{ data: Record<string, unknown>; lines: string[] }> {
  // The user's first device sets up the key locker: its recovery key is printed once, here.
  const { me, locker, mfa, s } = await withClient(ctx, async ({ api, client, session }) => ({
    me: await api.call("me"),
    locker: await lockerAfterSignIn(client),
    mfa: await api.call("getMfa"),
    s: session,
  }));
  const enrollBy = mfa.required && !mfa.totp.enabled ? mfa.enrollBy : null;
  const mfaDue =
    enrollBy === null ? [] : [`Your organisation requires multi-factor authentication by ${when(enrollBy)}: set it up with \`parley account mfa enable\`.`];
  // With --json the reminder goes to stderr, like the recovery key's warning.
  if (ctx.out.json) for (const line of mfaDue) ctx.out.note(line);
  return {
    data: {
      server: s.baseUrl,
      user: me.user,
      org: me.org,
      deviceId: s.deviceId,
      sessionId: s.sessionId,
      ...(locker.recoveryKey ? { recoveryKey: locker.recoveryKey } : {}),
    },
    lines: [
      `${verb} as ${me.user.username} (${me.user.role}) in ${me.org.name} (${me.org.slug}) on ${s.baseUrl}`,
      ...(locker.recoveryKey ? recoveryKeyLines(ctx, locker.recoveryKey) : []),
      ...(locker.hint ? [locker.hint] : []),
      ...(ctx.out.json ? [] : mfaDue),
      "Next: parley channel list · parley channel create NAME · parley send CHANNEL TEXT",
    ],
  };
}

async function signedInResult(ctx: Ctx, verb: string): Promise<void> {
  const { data, lines } = await signedInSummary(ctx, verb);
  ctx.out.result(data, lines);
}

export const accountCommands: Command[] = [
  {
    name: ["setup"],
    usage: "--server URL --token TOKEN --org SLUG --org-name NAME --username U --display-name D [--email ADDRESS]",
    summary: "First-run setup over HTTP with the token `parley start` printed; signs you in",
    details: `Flags:
  --server URL          the server \`parley start\` runs
  --token TOKEN         the one-time setup token it printed
  --org SLUG            org slug used at sign-in (lowercase letters, digits, dashes)
  --org-name NAME       org display name
  --username U          your (the owner's) username
  --display-name D      your display name
  --email ADDRESS       your email address, for password resets and security notices (optional)
  --device-name N       this device's name (default "parley cli on HOST")

The password is read from PARLEY_PASSWORD or stdin.`,
    options: {
      email: { type: "string" },
      server: { type: "string" },
      token: { type: "string" },
      org: { type: "string" },
      "org-name": { type: "string" },
      username: { type: "string" },
      "display-name": { type: "string" },
      "device-name": { type: "string" },
    },
    async run(ctx) {
      const u = "setup --server URL --token TOKEN --org SLUG --org-name NAME --username U --display-name D";
      const baseUrl = serverUrl(required(ctx.opts, "server", u));
      const email = str(ctx.opts, "email");
      const input = {
        baseUrl,
        ...(email !== undefined ? { email: emailArg(email) } : {}),
        setupToken: required(ctx.opts, "token", u),
        orgSlug: required(ctx.opts, "org", u),
        orgName: required(ctx.opts, "org-name", u),
        username: required(ctx.opts, "username", u),
        displayName: required(ctx.opts, "display-name", u),
        deviceName: deviceName(ctx),
        password: await readPassword(ctx.env, ctx.stdin),
      };
      await signIn(ctx, async (store) => ParleyClient.setup({ ...input, store, e2ee: await e2eeOptions(ctx) }));
      await signedInResult(ctx, "Created the org and signed in");
    },
  },
  {
    name: ["login"],
    usage: "--server URL --org SLUG --username U [--device-name N]",
    summary: "Sign in (password from PARLEY_PASSWORD or stdin; an authenticator code, if asked, from PARLEY_MFA_CODE or stdin)",
    details: `Flags:
  --server URL          the Parley server
  --org SLUG            your organisation's slug
  --username U          your username
  --device-name N       this device's name (default "parley cli on HOST")

The password is read from PARLEY_PASSWORD, else typed (echo off), else the first line of
stdin. When the account uses multi-factor authentication you are then asked for the code
your authenticator app shows, or one of your recovery codes (six digits are a code, anything
else a recovery code): from PARLEY_MFA_CODE, else typed, else the next line of stdin. A wrong
code is asked for again until the sign-in runs out (five tries, five minutes).

The session is kept in the profile.`,
    options: { server: { type: "string" }, org: { type: "string" }, username: { type: "string" }, "device-name": { type: "string" } },
    async run(ctx) {
      const u = "login --server URL --org SLUG --username U";
      const baseUrl = serverUrl(required(ctx.opts, "server", u));
      const org = required(ctx.opts, "org", u);
      const username = required(ctx.opts, "username", u);
      const password = await readPassword(ctx.env, ctx.stdin);
      // The SDK reuses this profile's device when the same account signs in again.
      await signIn(ctx, async (store) =>
        ParleyClient.login({
          baseUrl,
          org,
          username,
          password,
          secondFactor: signInSecondFactor(ctx),
          deviceName: deviceName(ctx),
          store,
          e2ee: await e2eeOptions(ctx),
        }),
      ).catch((err: unknown) => {
        // The session is kept, restricted to enrolling: `account mfa enable` continues in it.
        if (isParleyError(err, "mfa_enrollment_required"))
          throw new CliError(
            "mfa_enrollment_required",
            `signed in as ${username}, but your organisation requires multi-factor authentication before anything else`,
            "set up an authenticator app with `parley account mfa enable` (this profile stays signed in for it)",
          );
        throw err;
      });
      await signedInResult(ctx, "Signed in");
    },
  },
  {
    name: ["logout"],
    usage: "",
    summary: "End this profile's session on the server and forget it locally",
    async run(ctx) {
      // logout() forgets the session locally even when the server already ended it.
      await withClient(ctx, ({ client }) => client.logout().catch(() => undefined)).catch(async (err: unknown) => {
        // A session restricted to MFA enrolment cannot start the full client, but may sign out.
        if (!isParleyError(err, "mfa_enrollment_required")) throw err;
        await withAccount(ctx, async ({ api, forget }) => {
          await api.call("logout").catch(() => undefined);
          await forget();
        });
      });
      ctx.out.result({ signedOut: true }, "Signed out.");
    },
  },
  {
    name: ["invite", "accept"],
    usage: "TOKEN --server URL --username U --display-name D",
    summary: "Create your account from an invite token and sign in (password from PARLEY_PASSWORD or stdin)",
    min: 1,
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
      await signIn(ctx, async (store) =>
        ParleyClient.acceptInvite({ baseUrl, token, username, displayName, password, deviceName: deviceName(ctx), store, e2ee: await e2eeOptions(ctx) }),
      );
      await signedInResult(ctx, "Joined and signed in");
    },
  },
  {
    name: ["whoami"],
    usage: "",
    summary: "Who this profile is signed in as",
    async run(ctx) {
      const me = await withClient(ctx, async ({ api, session }) => ({ server: session.baseUrl, ...(await api.call("me")) }));
      ctx.out.result(me, [
        `${me.user.username} (${me.user.displayName}, ${me.user.role}) in ${me.org.name} (${me.org.slug}) on ${me.server}, device ${me.deviceId}`,
        ...profileLines(me.user),
      ]);
    },
  },
  {
    name: ["sessions"],
    usage: "",
    summary: "Your active sessions",
    async run(ctx) {
      const { sessions } = await withClient(ctx, ({ api }) => api.call("listSessions"));
      ctx.out.result({ sessions }, () =>
        table(sessions.map((s) => [s.id, s.deviceName, `since ${when(s.createdAt)}`, `last used ${when(s.lastUsedAt)}`, s.current ? "(this one)" : ""])),
      );
    },
  },
  {
    name: ["users"],
    usage: "[--search Q]",
    summary: "Users of your organisation",
    options: { search: { type: "string" } },
    async run(ctx) {
      const q = str(ctx.opts, "search");
      const { users } = await withClient(ctx, ({ api }) => api.call("listUsers", { query: q ? { q } : {} }));
      ctx.out.result({ users }, () => table(users.map(userLine)));
    },
  },
];
