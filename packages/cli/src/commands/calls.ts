/**
 * `parley calls list|end`: the org's active calls (issue 14) and ending one as an admin. The
 * server knows who is in which call and their media state, never the media (docs/calls.md).
 */
import type { Call } from "@parley/protocol";
import type { Command } from "../command.ts";
import { directory, withClient } from "../session.ts";

export const callCommands: Command[] = [
  {
    name: ["calls", "list"],
    usage: "[--mine]",
    summary: "Active calls of the org (owners and admins), or with --mine those of your channels",
    options: { mine: { type: "boolean" } },
    async run(ctx) {
      const mine = ctx.opts["mine"] === true;
      const o = await withClient(ctx, async ({ api }) => {
        const [{ calls }, dir] = await Promise.all([api.call("listCalls", { query: { all: mine ? "false" : "true" } }), directory(api)]);
        return { calls, name: dir.name };
      });
      ctx.out.result({ calls: o.calls }, () =>
        o.calls.length
          ? o.calls.map(
              (c: Call) =>
                `${c.id} ${c.kind} in ${c.channelId}, started by ${o.name(c.startedBy)} ${new Date(c.startedAt).toISOString()}: ${c.participants.length} device(s) (${[...new Set(c.participants.map((p) => o.name(p.userId)))].join(", ")})`,
            )
          : "no active calls",
      );
    },
  },
  {
    name: ["calls", "end"],
    usage: "CALL_ID",
    summary: "End an active call (owners and admins; every participant is dropped and told; audited)",
    min: 1,
    async run(ctx) {
      const callId = ctx.args[0]!;
      const call = await withClient(ctx, ({ api }) => api.call("endCall", { params: { callId } }));
      ctx.out.result({ call }, `Ended call ${call.id}.`);
    },
  },
];
