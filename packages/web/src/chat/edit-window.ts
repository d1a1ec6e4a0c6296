/**
 * The org's edit policy on the page (protocol/edit-routes.ts): read once per signed-in store
 * and shared by every message, so "Edit" is offered only where the server would accept the
 * edit. The server enforces it regardless (`edit_not_allowed`); this is the courtesy side.
 */
import { useEffect, useState } from "react";
import { DEFAULT_EDIT_POLICY, EditPolicy, editAllowed } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";

const policies = new WeakMap<ChatStore, Promise<EditPolicy>>();

function load(chat: ChatStore): Promise<EditPolicy> {
  let p = policies.get(chat);
  if (!p) {
    // An older server (or a failed read) means no limit is known: the server still refuses what it must.
    p = chat.client.api.call("getEditPolicy").then(
      (v) => EditPolicy.safeParse(v).data ?? DEFAULT_EDIT_POLICY,
      () => DEFAULT_EDIT_POLICY,
    );
    policies.set(chat, p);
  }
  return p;
}

/** After an admin saved a new policy in this tab: messages follow it at once. */
export function rememberEditPolicy(chat: ChatStore, policy: EditPolicy): void {
  policies.set(chat, Promise.resolve(policy));
}

/** The org's edit policy (the default until it has loaded). */
export function useEditPolicy(chat: ChatStore): EditPolicy {
  const [policy, setPolicy] = useState<EditPolicy>(DEFAULT_EDIT_POLICY);
  useEffect(() => {
    let live = true;
    void load(chat).then((p) => live && setPolicy(p));
    return () => {
      live = false;
    };
  }, [chat]);
  return policy;
}

/** Why a message sent at `sentAt` can no longer be edited, or null when it can. */
export function editBlockedReason(policy: EditPolicy, sentAt: number, now: number): string | null {
  switch (editAllowed(policy, sentAt, now)) {
    case "ok":
      return null;
    case "disabled":
      return "Your organisation does not allow editing messages";
    case "window_closed": {
      const m = policy.windowMinutes!;
      return `Messages can be edited for ${m} minute${m === 1 ? "" : "s"} after sending; this one is older`;
    }
  }
}
