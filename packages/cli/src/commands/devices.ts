/**
 * Devices and out-of-band verification: `parley devices` lists your devices
 * with the fingerprint of each one's MLS signature key (as the server's device
 * directory vouches for it), `parley devices revoke` removes one (the server
 * then has it removed from every encryption group), and `parley safety-number`
 * prints the 60 digits two users compare in person or over a call: if they
 * match, the server slipped no key of its own into their conversations.
 */
import type { Device } from "@parley/protocol";
import { isParleyError } from "@parley/sdk/node";
import type { Command } from "../command.ts";
import { CliError } from "../errors.ts";
import { table, when } from "../render.ts";
import { directory, withClient } from "../session.ts";

/** "12345 67890 ..." -> 12 groups of 5 digits on 3 lines of 4 (easier to read aloud). */
function safetyLines(digits: string): string[] {
  const groups = digits.split(" ");
  const lines: string[] = [];
  for (let i = 0; i < groups.length; i += 4) lines.push(`  ${groups.slice(i, i + 4).join(" ")}`);
  return lines;
}

export const deviceCommands: Command[] = [
  {
    name: ["devices"],
    usage: "",
    summary: "Your devices with their key fingerprints (compare with `parley devices` on the other device)",
    async run(ctx) {
      const devices = await withClient(ctx, async ({ client, api, session }) => {
        const { devices } = await api.call("listDevices");
        return Promise.all(
          devices.map(async (d: Device) => {
            let fingerprint: string | null = null;
            if (!d.revoked) {
              // A device that never set up E2EE (or whose binding the directory key does not verify) has none.
              fingerprint = await client.fingerprint(session.userId, d.id).catch((err: unknown) => {
                if (isParleyError(err, "not_found")) return null;
                throw err;
              });
            }
            return { ...d, current: d.id === session.deviceId, fingerprint };
          }),
        );
      });
      ctx.out.result({ devices }, () =>
        table(
          devices.map((d) => [
            d.current ? "*" : " ",
            d.id,
            d.name,
            `created ${when(d.createdAt)}`,
            `last seen ${d.lastSeenAt ? when(d.lastSeenAt) : "never"}`,
            // The fingerprint stays last: it is what people read out and compare.
            d.revoked ? "" : d.approved ? "approved" : "not approved",
            d.revoked ? "revoked" : (d.fingerprint ?? "(no E2EE key)"),
          ]),
        ).concat("\n* = this device; approve a new one from an approved one with `parley devices approve`"),
      );
    },
  },
  {
    name: ["devices", "revoke"],
    usage: "DEVICE_ID",
    summary: "Revoke one of your devices: its sessions end and it is removed from every encryption group",
    min: 1,
    async run(ctx) {
      const id = ctx.args[0]!;
      const current = await withClient(ctx, async ({ api, session }) => {
        await api.call("revokeDevice", { params: { id } });
        return id === session.deviceId;
      }).catch((err: unknown) => {
        // Revoking the device this profile runs on ends our own session while closing: that is success.
        if (err instanceof CliError && err.code === "session_ended") return true;
        throw err;
      });
      ctx.out.result({ revoked: id, current }, current ? `Revoked this device (${id}); sign in again to use this profile.` : `Revoked device ${id}.`);
    },
  },
  {
    name: ["safety-number"],
    usage: "USER",
    summary: "The 60-digit safety number of you and USER: compare it with them out of band (both see the same)",
    min: 1,
    async run(ctx) {
      const r = await withClient(ctx, async ({ client, api, session }) => {
        const user = (await directory(api)).byName(ctx.args[0]!);
        if (user.id === session.userId)
          throw new CliError("usage", "that is you: compare with another user, or check your devices with `parley devices`", undefined, 2);
        const [mine, theirs] = await Promise.all([client.fingerprint(session.userId), client.fingerprint(user.id)]).catch((err: unknown) => {
          if (isParleyError(err, "not_found"))
            throw new CliError(
              "not_found",
              `${user.username} has no device with an end-to-end encryption key yet`,
              "they need to sign in once with an E2EE client",
            );
          throw err;
        });
        return { user: user.username, userId: user.id, safetyNumber: await client.safetyNumber(session.userId, user.id), fingerprints: { mine, theirs } };
      });
      ctx.out.result(r, [
        `Safety number with ${r.user}:`,
        ...safetyLines(r.safetyNumber),
        `Compare it with ${r.user} in person or on a call (they run \`parley safety-number\` with your name). If it differs, do not trust the conversation.`,
      ]);
    },
  },
];
