/**
 * Call routes of API v1 (issue 14): the active calls the caller may see, and an org admin ending
 * a call. Starting, joining and signalling go over the WebSocket (call-models.ts). Part of the
 * route table in routes.ts.
 */
import { z } from "zod";
import { route } from "./route.ts";
import { Id } from "./models.ts";
import { Call } from "./call-models.ts";

/**
 * The org's call policy: whether participants may record calls (on their device, posted in the
 * channel as an encrypted attachment). Off until an admin turns it on.
 */
export const CallPolicy = z.object({
  /** Participants may record calls (`call.record`); everyone in the call is told who records. */
  recordingAllowed: z.boolean(),
});
/** The org's call policy. */
export type CallPolicy = z.infer<typeof CallPolicy>;

/** The policy of an org that never set one: no recording. */
export const DEFAULT_CALL_POLICY: CallPolicy = { recordingAllowed: false };

/** Call routes (issue 14). */
export const callRoutes = {
  listCalls: route({
    method: "GET",
    path: "/calls",
    tag: "calls",
    auth: "user",
    summary: "Active calls of the channels the caller is a member of (with `all=true`, owners and admins: every active call of the org), newest first",
    query: z.object({ all: z.enum(["true", "false"]).default("false") }),
    response: z.object({ calls: z.array(Call) }),
  }),
  endCall: route({
    method: "POST",
    path: "/calls/:callId/end",
    tag: "calls",
    auth: "user",
    summary: "End an active call (owners and admins; audited): every participant is dropped and told (`call.ended`, reason `admin`)",
    params: z.object({ callId: Id }),
    response: Call,
    errors: ["call_ended"],
  }),
  getCallPolicy: route({
    method: "GET",
    path: "/org/call-policy",
    tag: "org",
    auth: "user",
    summary: "The org's call policy: whether calls may be recorded (every member: clients show Record only where allowed)",
    response: CallPolicy,
  }),
  setCallPolicy: route({
    method: "PUT",
    path: "/org/call-policy",
    tag: "org",
    auth: "user",
    summary: "Change the org's call policy (owners and admins); audited as org.call_policy.changed",
    body: CallPolicy,
    response: CallPolicy,
    errors: ["forbidden"],
  }),
};
