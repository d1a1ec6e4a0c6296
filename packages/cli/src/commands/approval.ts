/**
 * Device approval (issue 9, ADR 0007): `parley devices approve` on a device that holds the user's
 * identity key approves a new one — both show a six-digit code, the user types the one the new
 * device shows, and only if it matches are the user's keys handed over (the new device then reads
 * every earlier message). `parley devices request-approval` is the new device's side, for a CLI
 * profile signed in where no recovery key is at hand.
 */
import type { ApprovalRequest } from "@parley/protocol";
import { isParleyError, type ParleyClient } from "@parley/sdk/node";
import type { Command, Ctx } from "../command.ts";
import { CliError } from "../errors.ts";
import { readLine } from "../password.ts";
import { withClient } from "../session.ts";

/** How long `approve` waits for a device to ask, when none has yet (seconds). */
const DEFAULT_WAIT_S = 120;

function approvalsOf(client: ParleyClient) {
  const e2ee = client.e2ee;
  if (!e2ee) throw new CliError("e2ee_off", "end-to-end encryption is off in this profile", "sign in again without a test codec");
  return e2ee.approvals;
}

/** "123456" -> "123 456" (read aloud or compared at a glance). */
const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

async function waitForRequest(ctx: Ctx, client: ParleyClient, id: string | undefined, waitS: number): Promise<ApprovalRequest> {
  const approvals = approvalsOf(client);
  const end = Date.now() + waitS * 1000;
  let told = false;
  for (;;) {
    const pending = await approvals.pending();
    const chosen = id ? pending.find((r) => r.id === id) : pending.length === 1 ? pending[0] : undefined;
    if (chosen) return chosen;
    if (!id && pending.length > 1) {
      throw new CliError(
        "usage",
        `${pending.length} devices are asking for approval: ${pending.map((r) => `${r.id} (${r.deviceName})`).join(", ")}`,
        "name one: parley devices approve REQUEST_ID",
        2,
      );
    }
    if (Date.now() >= end || ctx.signal.aborted) {
      throw new CliError(
        "no_request",
        id ? `no open approval request ${id}` : "no device asked for approval",
        "sign in on the new device and choose “Approve from another device” (CLI: parley devices request-approval), then run this again",
      );
    }
    if (!told) ctx.out.note(`Waiting up to ${waitS} s for a new device to ask for approval…`);
    told = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export const approvalCommands: Command[] = [
  {
    name: ["devices", "approve"],
    usage: "[REQUEST_ID] [--code CODE] [--wait SECONDS]",
    summary: "Approve a new device of yours from this one: compare the code, then it reads your earlier messages",
    details: [
      "Run it on a device that reads your earlier messages (the first one you set up, or one restored with",
      "your recovery key). Both devices show a six-digit code; type the one the NEW device shows (or pass",
      "--code): only when it matches are your keys handed over. A different code means someone may be",
      "interfering: the request is declined. Without REQUEST_ID the one open request is taken; with none yet,",
      `it waits --wait seconds (default ${DEFAULT_WAIT_S}) for one.`,
    ].join("\n"),
    options: { code: { type: "string" }, wait: { type: "string" } },
    max: 1,
    async run(ctx) {
      const waitS = ctx.opts.wait === undefined ? DEFAULT_WAIT_S : Number(ctx.opts.wait);
      if (!Number.isInteger(waitS) || waitS < 0 || waitS > 3600) throw new CliError("usage", "--wait takes whole seconds, 0 to 3600", undefined, 2);
      const given = typeof ctx.opts.code === "string" ? ctx.opts.code.replace(/\s/g, "") : undefined;
      if (given !== undefined && !/^\d{6}$/.test(given)) throw new CliError("usage", "--code takes the six digits the new device shows", undefined, 2);
      const r = await withClient(ctx, async ({ client }) => {
        const approvals = approvalsOf(client);
        const request = await waitForRequest(ctx, client, ctx.args[0], waitS);
        ctx.out.note(`Device “${request.deviceName}” (${request.deviceId}) asks for approval; waiting for it to show its code…`);
        const accepted = await approvals.accept(request.id, ctx.signal).catch((err: unknown) => {
          if (isParleyError(err, "forbidden"))
            throw new CliError(
              "not_approved",
              (err as Error).message,
              "run this on a device that reads your earlier messages, or use `parley recovery-key restore` here first",
            );
          throw err;
        });
        ctx.out.note(`This device shows: ${spaced(accepted.code)}`);
        const typed = given ?? (await readLine(ctx.stdin, "Type the code the new device shows: ")).replace(/\s/g, "");
        if (typed !== accepted.code) {
          await approvals.decline(request.id);
          throw new CliError(
            "code_mismatch",
            "the codes differ: the device was NOT approved and the request was declined",
            "someone may be interfering; start again from the new device, and compare the codes carefully",
          );
        }
        await approvals.confirm(request.id);
        return { approved: request.deviceId, deviceName: request.deviceName };
      });
      ctx.out.result(r, `Approved “${r.deviceName}” (${r.approved}): it now reads your earlier messages and others see it as yours.`);
    },
  },
  {
    name: ["devices", "request-approval"],
    usage: "",
    summary: "Ask another of your devices to approve this one (then it reads your earlier messages)",
    details: "Shows a code once another device accepts; confirm it there (web: the dialog; CLI: parley devices approve). Waits up to 10 minutes.",
    async run(ctx) {
      const added = await withClient(ctx, async ({ client }) => {
        const approvals = approvalsOf(client);
        const request = await approvals.request().catch((err: unknown) => {
          if (isParleyError(err, "already_approved")) throw new CliError("already_approved", "this device is approved already", "parley recovery-key status");
          if (isParleyError(err, "not_found"))
            throw new CliError("no_locker", "you have no key locker yet, so no device can approve this one", "sign in again (parley login) to set one up");
          throw err;
        });
        ctx.out.note("Asked your other devices. On one of them, open the approval dialog (web) or run: parley devices approve");
        try {
          const code = await approvals.code(request.id, ctx.signal);
          ctx.out.note(`Code: ${spaced(code)}  (type or confirm it on the approving device)`);
          return await approvals.awaitApproval(request.id, ctx.signal);
        } catch (err) {
          await approvals.cancel(request.id).catch(() => undefined);
          if (isParleyError(err, "approval_state")) throw new CliError("not_approved", (err as Error).message, "ask again: parley devices request-approval");
          throw err;
        }
      });
      ctx.out.result({ restored: added }, `Approved: ${added} history keys restored; your earlier messages are readable here (parley read CHANNEL).`);
    },
  },
];
