/**
 * The app's few routes, on the History API: /, /c/:channelId (?thread=N opens
 * a thread, ?at=N shows message N), /search (?q=words&in=channelId), /inbox
 * (?tab=mentions|threads|unreads), /admin,
 * /devices, /profile, /people, /saved, /invite/:token; signed out: /sign-in (?org=&username=
 * pre-fill it), /forgot-password (?org=&login=), and the emailed links
 * /reset-password#token=… and /verify-email#token=…, signed in or out /unsubscribe#token=…
 * (mention email's link) (the token stays in the
 * fragment, which browsers never send to the server), and /sso#code=… where a
 * single sign-on lands, and /oauth-consent/:uid, where an OAuth2 app's authorization asks the
 * signed-in user (signed out, the sign-in screen shows first and the page follows). No router library: the
 * server's SPA fallback serves index.html for each of them.
 */
import { useSyncExternalStore } from "react";

/** The inbox's tabs (/inbox?tab=…). */
export type InboxTab = "mentions" | "threads" | "unreads" | "reminders";

const INBOX_TABS: readonly InboxTab[] = ["mentions", "threads", "unreads", "reminders"];

/** A parsed location. */
export type Route =
  | { name: "home" }
  | { name: "channel"; channelId: string; thread: number | undefined; at: number | undefined }
  | { name: "search"; query: string; channelId: string | undefined }
  | { name: "inbox"; tab: InboxTab }
  | { name: "admin" }
  | { name: "devices" }
  | { name: "profile" }
  | { name: "people" }
  | { name: "saved" }
  | { name: "invite"; token: string }
  | { name: "sign-in"; org: string | undefined; username: string | undefined }
  | { name: "forgot-password"; org: string | undefined; login: string | undefined }
  | { name: "reset-password" }
  | { name: "verify-email" }
  | { name: "unsubscribe" }
  | { name: "sso" }
  | { name: "oauth-consent"; uid: string };

/** Routes for the signed-out (a signed-in user landing on one goes home). */
export const SIGNED_OUT_ROUTES: ReadonlySet<Route["name"]> = new Set(["invite", "sign-in", "forgot-password", "reset-password", "verify-email", "sso"]);

/** A positive integer query parameter, if present. */
function seqParam(q: URLSearchParams, name: string): number | undefined {
  const n = Number(q.get(name));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** Parse a pathname (and search, for the open thread, the message shown, or a search). */
function parseRoute(pathname: string, search = ""): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(search);
  if (parts[0] === "invite" && parts[1]) return { name: "invite", token: parts[1] };
  if (parts[0] === "c" && parts[1]) return { name: "channel", channelId: parts[1], thread: seqParam(q, "thread"), at: seqParam(q, "at") };
  if (parts[0] === "search") return { name: "search", query: q.get("q") ?? "", channelId: q.get("in") || undefined };
  if (parts[0] === "inbox") return { name: "inbox", tab: INBOX_TABS.find((t) => t === q.get("tab")) ?? "mentions" };
  if (parts[0] === "admin") return { name: "admin" };
  if (parts[0] === "devices") return { name: "devices" };
  if (parts[0] === "profile") return { name: "profile" };
  if (parts[0] === "people") return { name: "people" };
  if (parts[0] === "saved") return { name: "saved" };
  if (parts[0] === "sign-in") return { name: "sign-in", org: q.get("org") || undefined, username: q.get("username") || undefined };
  if (parts[0] === "forgot-password") return { name: "forgot-password", org: q.get("org") || undefined, login: q.get("login") || undefined };
  if (parts[0] === "reset-password") return { name: "reset-password" };
  if (parts[0] === "verify-email") return { name: "verify-email" };
  if (parts[0] === "unsubscribe") return { name: "unsubscribe" };
  if (parts[0] === "sso") return { name: "sso" };
  if (parts[0] === "oauth-consent" && parts[1]) return { name: "oauth-consent", uid: parts[1] };
  return { name: "home" };
}

const listeners = new Set<() => void>();
addEventListener("popstate", () => listeners.forEach((fn) => fn()));

/** The path of a search (`in`: one channel only). */
export function searchPath(query: string, channelId?: string): string {
  const q = new URLSearchParams();
  if (query) q.set("q", query);
  if (channelId) q.set("in", channelId);
  const s = q.toString();
  return s ? `/search?${s}` : "/search";
}

/** A signed-out path with its query (`/sign-in?org=…`), empty values left out. */
export function signedOutPath(path: "/sign-in" | "/forgot-password", query: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Go to a path (pushes a history entry). */
export function navigate(path: string, replace = false): void {
  if (path === location.pathname + location.search) return;
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  listeners.forEach((fn) => fn());
}

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The current route; re-renders on navigation. */
export function useRoute(): Route {
  const href = useSyncExternalStore(subscribe, () => location.pathname + location.search);
  const u = new URL(href, location.origin);
  return parseRoute(u.pathname, u.search);
}
