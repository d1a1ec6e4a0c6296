/** What each API scope lets an app do, in the words the consent page and the lists use. */
import type { ApiKeyScope } from "@parley/protocol";

export const SCOPE_TEXT: Record<ApiKeyScope, string> = {
  read: "See your channels, members, profiles and other information you can see (never message text: it stays encrypted on your devices)",
  write: "Act as you: create and change channels, membership, profiles and settings you may change",
  admin: "Administer your organisation as far as your role allows",
};
