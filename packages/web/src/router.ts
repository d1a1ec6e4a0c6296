/**
 * The app's few routes, on the History API: /, /c/:channelId, /admin,
 * /devices, /invite/:token. No router library: the server's SPA fallback
 * serves index.html for each of them.
 */
import { useSyncExternalStore } from "react";

/** A parsed location. */
export type Route =
  | { name: "home" }
  | { name: "channel"; channelId: string; thread: number | undefined }
  | { name: "admin" }
  | { name: "devices" }
  | { name: "invite"; token: string };

/** Parse a pathname (and search, for the open thread). */
function parseRoute(pathname: string, search = ""): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "invite" && parts[1]) return { name: "invite", token: parts[1] };
  if (parts[0] === "c" && parts[1]) {
    const thread = Number(new URLSearchParams(search).get("thread"));
    return { name: "channel", channelId: parts[1], thread: Number.isInteger(thread) && thread > 0 ? thread : undefined };
  }
  if (parts[0] === "admin") return { name: "admin" };
  if (parts[0] === "devices") return { name: "devices" };
  return { name: "home" };
}

const listeners = new Set<() => void>();
addEventListener("popstate", () => listeners.forEach((fn) => fn()));

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
