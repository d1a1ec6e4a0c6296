/**
 * The web app's public URL: where links in email lead and what WebAuthn and SSO call the
 * origin. PARLEY_PUBLIC_URL when set; otherwise the address the server listens on, known
 * once it listens.
 */
import type { Config } from "../config/schema.ts";

export interface PublicUrl {
  /** The URL without a trailing slash, e.g. https://chat.example.org. */
  get(): string;
  /** Called once the server listens (no effect when PARLEY_PUBLIC_URL is set). */
  listening(url: string): void;
}

export function createPublicUrl(config: Pick<Config, "publicUrl" | "host" | "port">): PublicUrl {
  const trim = (u: string) => u.replace(/\/+$/, "");
  let url = trim(config.publicUrl ?? `http://${config.host}:${config.port}`);
  return {
    get: () => url,
    listening(actual) {
      if (!config.publicUrl) url = trim(actual);
    },
  };
}
