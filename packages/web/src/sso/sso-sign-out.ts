/**
 * Signing out of a session that came from single sign-on ends the IdP's session too
 * (RP-initiated logout): the server names the IdP's end-session URL, and after Parley's own
 * sign-out the browser goes there (and the IdP sends it back to the app). Parley's sign-out
 * never waits on the IdP: without a URL, the app just shows its sign-in screen.
 */
import type { ChatStore } from "../client/chat-store.ts";

export async function ssoLogoutUrl(chat: ChatStore): Promise<string | null> {
  try {
    return (await chat.client.api.call("ssoLogoutUrl")).url;
  } catch {
    return null;
  }
}
