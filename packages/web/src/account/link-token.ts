/**
 * The token of an emailed link (`/reset-password#token=…`, `/verify-email#token=…`).
 * It travels in the URL fragment, which browsers never send to a server (nor in a
 * Referer header); the screen reads it once and then takes it out of the address bar,
 * so it does not linger in the history, a bookmark or a screenshot.
 */

/** Shortest and longest token the API accepts (protocol: LinkToken). */
const MIN = 16;
const MAX = 128;

/** The token in a fragment such as `#token=abc`, or undefined when there is none that could be valid (longer tokens than account links': `max`). */
export function tokenFromFragment(hash: string, max = MAX): string | undefined {
  // Not URLSearchParams: it reads "+" as a space, and a token may contain one.
  const pair = hash
    .replace(/^#/, "")
    .split("&")
    .find((p) => p.startsWith("token="));
  let token: string;
  try {
    token = decodeURIComponent(pair?.slice("token=".length) ?? "").trim();
  } catch {
    return undefined; // a broken %-escape: the link was mangled
  }
  return token.length >= MIN && token.length <= max ? token : undefined;
}

/** Take the fragment out of the address bar (keeping path and query) without a new history entry. */
export function forgetFragment(): void {
  if (!location.hash) return;
  history.replaceState(history.state, "", location.pathname + location.search);
}
