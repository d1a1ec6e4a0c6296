/**
 * Everything checked about a send before it is queued for the group commit,
 * so a bad send is rejected on its own and never fails the batch it would
 * have joined. References only ever point at committed events (a client
 * learns a seq from an ack), and events are never physically deleted, so
 * these checks stay true until the batch writes.
 */
import type { SendEvent } from "@parley/protocol";
import type { Deps, Principal } from "../../context.ts";
import { authorize } from "../access/authorize.ts";
import { AppError } from "../../http/errors.ts";
import type { LoadedChannel } from "../channels/access.ts";
import { requireOrgUsers } from "../channels/users.ts";
import { findEventRef, type EventRef } from "./store.ts";
import type { EventDraft } from "./event-writer.ts";

const bad = (message: string) => new AppError("bad_request", message);

export async function validateSend(deps: Deps, p: Principal, ch: LoadedChannel, input: SendEvent): Promise<EventDraft> {
  const content = Buffer.from(input.content, "base64");
  if (content.length > deps.config.messageLimit) {
    throw new AppError("message_too_large", `content is ${content.length} bytes; the limit is ${deps.config.messageLimit}`, { limit: deps.config.messageLimit });
  }
  const channelId = ch.row.id;
  let threadRoot = input.threadRoot ?? null;
  const target = input.target ?? null;

  if (input.kind === "message") {
    if (target !== null) throw bad("a message has no target; reactions, edits and deletes do");
    if (threadRoot !== null) {
      const root = await findEventRef(deps.db, channelId, threadRoot);
      if (!root || root.kind !== "message" || root.thread_root !== null) throw bad("threadRoot must name a top-level message of this channel");
    }
  } else {
    if (target === null) throw bad(`a ${input.kind} needs a target`);
    const ref = await findEventRef(deps.db, channelId, target);
    if (!ref) throw bad("target must name an event of this channel");
    checkTarget(p, ch, input.kind, ref);
    // A reaction/edit/delete lives in the thread of what it refers to, so a thread page carries it.
    if (threadRoot !== null && threadRoot !== ref.thread_root) throw bad("threadRoot does not match the target's thread");
    threadRoot = ref.thread_root;
  }

  const mentions = [...new Set(input.mentions ?? [])];
  await requireOrgUsers(deps.db, p.orgId, mentions);

  return {
    orgId: p.orgId, channelId, clientId: input.clientId, senderId: p.userId, senderDeviceId: p.deviceId, kind: input.kind,
    epoch: input.epoch, content, contentB64: input.content, threadRoot, target, mentions,
  };
}

function checkTarget(p: Principal, ch: LoadedChannel, kind: "reaction" | "edit" | "delete", ref: EventRef): void {
  const own = ref.sender_id === p.userId;
  switch (kind) {
    case "reaction":
      if (ref.kind !== "message") throw bad("reactions target messages");
      return;
    case "edit":
      if (ref.kind !== "message") throw bad("edits target messages");
      if (!own) throw new AppError("forbidden", "only the sender may edit a message");
      return;
    case "delete":
      if (ref.kind !== "message" && ref.kind !== "reaction") throw bad("deletes target messages or reactions");
      if (own) return;
      // Moderation: channel admins and org admins may delete others' events, never in DMs.
      if (ch.row.kind === "dm" || ch.row.kind === "group_dm") throw new AppError("forbidden", "only the sender may delete this");
      authorize(p, "channel.manage", { type: "channel", channel: ch.resource });
  }
}
