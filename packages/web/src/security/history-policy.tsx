/**
 * A channel's history policy (ADR 0007) as the app shows it: a badge in the channel header, the
 * choice in the create dialog and the security panel, and what it means for people being added.
 */
import type { HistoryPolicy } from "@parley/protocol";
import { Icon } from "../components/icon.tsx";

const POLICIES: Record<HistoryPolicy, { badge: string; choice: string; meaning: string; forNewMembers: string }> = {
  shared: {
    badge: "History: shared",
    choice: "Shared — new members read the whole history",
    meaning: "New members read the channel's whole history: the past keys are handed to them, end-to-end encrypted, when they join.",
    forNewMembers: "They will be able to read everything said here before.",
  },
  joined: {
    badge: "History: from joining",
    choice: "From joining — new members read what is said after they join",
    meaning: "Each member reads what is said from the moment they joined; earlier messages are not shared with new members.",
    forNewMembers: "They will read messages from now on, not earlier ones.",
  },
  "device-only": {
    badge: "History: this device only",
    choice: "Device only — no history copies (highest forward secrecy)",
    meaning:
      "No history copies are kept: each device reads only what it received while it was in the channel. New members and new devices see nothing earlier, and a lost device's history is gone.",
    forNewMembers: "They will read messages from now on; this channel keeps no history for new members or new devices.",
  },
};

/** What the policy means, in one sentence. */
export function historyMeaning(policy: HistoryPolicy): string {
  return POLICIES[policy].meaning;
}

/** What people being added will be able to read. */
export function historyForNewMembers(policy: HistoryPolicy): string {
  return POLICIES[policy].forNewMembers;
}

/** Header badge: the channel's policy, explained on hover. */
export function HistoryPolicyBadge(props: { policy: HistoryPolicy }) {
  return (
    <span className={`history-policy ${props.policy}`} data-testid="history-policy" title={POLICIES[props.policy].meaning}>
      <Icon name={props.policy === "device-only" ? "shield" : "list"} /> {POLICIES[props.policy].badge}
    </span>
  );
}

/** The three choices as radio buttons (create dialog, security panel). */
export function HistoryPolicyChoice(props: { value: HistoryPolicy; onChange: (p: HistoryPolicy) => void; disabled?: boolean }) {
  return (
    <fieldset className="radio" disabled={props.disabled}>
      <legend>History for new members</legend>
      {(Object.keys(POLICIES) as HistoryPolicy[]).map((p) => (
        <label key={p}>
          <input type="radio" name="history" checked={props.value === p} onChange={() => props.onChange(p)} /> {POLICIES[p].choice}
        </label>
      ))}
    </fieldset>
  );
}
