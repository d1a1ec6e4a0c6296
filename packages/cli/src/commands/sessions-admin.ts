/**
 * Session controls (docs/identity.md "Sessions"): signing yourself out everywhere, an admin's
 * view and revocation of a user's sessions, and the org's session policy (idle and absolute
 * timeouts, an IP allow-list). `parley sessions` (your own) is in account.ts.
 */
import type { Session, SessionPolicy } from "@parley/protocol";
import { isParleyError } from "@parley/sdk/node";
import { str, type Command } from "../command.ts";
import { CliError, UsageError } from "../errors.ts";
import { table, when } from "../render.ts";
import { directory, withAccount, withClient } from "../session.ts";

/** "30m", "8h", "7d" or plain minutes -> minutes; "off" -> null. */
function durationArg(value: string, flag: string, unit: "minutes" | "hours"): number | null {
  if (value === "off") return null;
  const m = /^(\d+)([mhd]?)$/.exec(value.trim());
  const minutes = m ? Number(m[1]) * ({ "": unit === "hours" ? 60 : 1, m: 1, h: 60, d: 1440 } as Record<string, number>)[m[2]!]! : NaN;
  const n = unit === "hours" ? minutes / 60 : minutes;
  if (!Number.isInteger(n)) throw new UsageError(`${flag} takes whole ${unit} (e.g. ${unit === "hours" ? "12h or 7d" : "30m or 8h"}) or off, got '${value}'`);
  return n;
}

function span(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} day(s)`;
  if (minutes % 60 === 0) return `${minutes / 60} hour(s)`;
  return `${minutes} minute(s)`;
}

function policyLines(p: SessionPolicy): string[] {
  return [
    p.idleTimeoutMinutes === null
      ? "Idle sessions end after the server's refresh-token lifetime (no org limit)."
      : `A session unused for ${span(p.idleTimeoutMinutes)} ends.`,
    p.absoluteTimeoutHours === null ? "Sessions have no absolute limit." : `Every session ends ${span(p.absoluteTimeoutHours * 60)} after sign-in.`,
    p.ipAllowList.length ? `Sign-in and requests only from: ${p.ipAllowList.join(", ")}.` : "Sign-in and requests from any address.",
  ];
}

const sessionLine = (s: Session) => [s.id, s.deviceName, `since ${when(s.createdAt)}`, `last used ${when(s.lastUsedAt)}`];

export const sessionAdminCommands: Command[] = [
  {
    name: ["sessions", "revoke-all"],
    usage: "[--keep-current]",
    summary: "Sign out everywhere: end every session of yours (--keep-current: all but this profile's)",
    details: `Your devices stay registered: they sign in again with your password. Without --keep-current
this profile is signed out too.`,
    options: { "keep-current": { type: "boolean" } },
    async run(ctx) {
      const keepCurrent = ctx.opts["keep-current"] === true;
      // Plain REST: the full client would report its own session's end as a failure.
      const { ended } = await withAccount(ctx, async ({ api, forget }) => {
        const r = await api.call("signOutEverywhere", { body: { keepCurrent } });
        if (!keepCurrent) await forget();
        return r;
      });
      ctx.out.result(
        { ended, keptCurrent: keepCurrent },
        keepCurrent
          ? `${ended} other session(s) ended; this profile stays signed in.`
          : `${ended} session(s) ended, this profile's too: sign in again with \`parley login\`.`,
      );
    },
  },
  {
    name: ["users", "sessions"],
    usage: "USERNAME",
    summary: "A user's active sessions (admins)",
    min: 1,
    async run(ctx) {
      const { user, sessions } = await withClient(ctx, async ({ api }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        return { user, ...(await api.call("adminListUserSessions", { params: { id: user.id } })) };
      });
      ctx.out.result({ username: user.username, userId: user.id, sessions }, () => (sessions.length ? table(sessions.map(sessionLine)) : "no active sessions"));
    },
  },
  {
    name: ["users", "revoke-session"],
    usage: "USERNAME SESSION_ID",
    summary: "End one of a user's sessions (admins; an owner's or admin's only by owners)",
    min: 2,
    async run(ctx) {
      const sessionId = ctx.args[1]!;
      const user = await withClient(ctx, async ({ api }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        await api.call("adminRevokeUserSession", { params: { id: user.id, sessionId } });
        return user;
      });
      ctx.out.result({ username: user.username, revoked: sessionId }, `Session ${sessionId} of ${user.username} has ended.`);
    },
  },
  {
    name: ["users", "sign-out"],
    usage: "USERNAME",
    summary: "End every session of a user (admins; an owner's or admin's only by owners); their devices stay",
    min: 1,
    async run(ctx) {
      const r = await withClient(ctx, async ({ api, session }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        if (user.id === session.userId)
          throw new CliError("own_account", "this is your own account", "sign yourself out everywhere with `parley sessions revoke-all`");
        return { user, ...(await api.call("adminRevokeUserSessions", { params: { id: user.id } })) };
      });
      ctx.out.result({ username: r.user.username, ended: r.ended }, `${r.ended} session(s) of ${r.user.username} ended.`);
    },
  },
  {
    name: ["org", "session-policy"],
    usage: "[--idle-timeout 30m|off] [--absolute-timeout 12h|off] [--ip-allow CIDR,CIDR|any]",
    summary: "Show the org's session policy, or change it (admins)",
    details: `Flags:
  --idle-timeout D       a session unused this long ends: 5m to 365d in whole minutes (30m, 8h,
                         7d), or off for the server's refresh-token lifetime
  --absolute-timeout D   a session ends this long after sign-in however active: 1h to 365d in
                         whole hours (12h, 7d), or off for no limit
  --ip-allow LIST        sign-in and every request only from these addresses or CIDR blocks
                         (10.0.0.0/8,2001:db8::/32; at most 100), or any

Without flags it shows the policy; flags left out keep their value. An allow-list that
would exclude the address you call from is refused (nothing is changed).`,
    options: { "idle-timeout": { type: "string" }, "absolute-timeout": { type: "string" }, "ip-allow": { type: "string" } },
    async run(ctx) {
      const idle = str(ctx.opts, "idle-timeout");
      const absolute = str(ctx.opts, "absolute-timeout");
      const ips = str(ctx.opts, "ip-allow");
      const change: Partial<SessionPolicy> = {
        ...(idle !== undefined ? { idleTimeoutMinutes: durationArg(idle, "--idle-timeout", "minutes") } : {}),
        ...(absolute !== undefined ? { absoluteTimeoutHours: durationArg(absolute, "--absolute-timeout", "hours") } : {}),
        ...(ips !== undefined
          ? {
              ipAllowList:
                ips === "any"
                  ? []
                  : ips
                      .split(",")
                      .map((s) => s.trim())
                      .filter(Boolean),
            }
          : {}),
      };
      if (ips !== undefined && ips !== "any" && !change.ipAllowList?.length) throw new UsageError("--ip-allow takes addresses or CIDR blocks, or any");
      const policy = await withClient(ctx, async ({ api }) => {
        const current = await api.call("getSessionPolicy");
        if (!Object.keys(change).length) return current;
        return api.call("setSessionPolicy", { body: { ...current, ...change } }).catch((err: unknown) => {
          // The refusal besides `forbidden`: the allow-list would lock out the admin setting it.
          if (isParleyError(err, "bad_request"))
            throw new CliError("bad_request", `${err.message}; nothing was changed`, "include the address you connect from in --ip-allow");
          throw err;
        });
      });
      ctx.out.result({ policy }, policyLines(policy));
    },
  },
];
