/**
 * The BOT badge: shown next to a service account's name (members list, messages, profile
 * card). A bot is a member with its own device and keys (docs/bots.md); the badge tells people
 * that a program, not a person, reads and writes here.
 */
import type { User } from "@parley/protocol";

export function BotBadge(props: { user: User | undefined }) {
  if (!props.user?.service) return null;
  return (
    <span className="bot-badge" title="A bot: a service account with its own device and keys" aria-label="bot">
      BOT
    </span>
  );
}
