/**
 * The verified-device marks of a call (docs/calls.md, "Verified devices"): the badge on each
 * participant's tile, and the panel the encryption indicator opens — every participant with their
 * call device (approved by its owner, seen before by this device, or new and unapproved) and
 * whether you verified them, with Verify opening the safety-number dialog of security/.
 */
import { useState } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { Icon } from "../components/icon.tsx";
import { VerifyDialog } from "../security/verify-dialog.tsx";
import type { ParticipantTrust, TrustMark } from "./call-trust.ts";

const MARK_TEXT: Record<Exclude<TrustMark, "you">, string> = {
  verified: "Verified",
  changed: "Safety number changed",
  unverified: "Not verified",
  "new-device": "New device — not verified",
};
const MARK_TITLE: Record<Exclude<TrustMark, "you">, string> = {
  verified: "You compared your safety number with this person and it has not changed since",
  changed: "Their safety number changed since you verified them (a device was added or replaced): compare again",
  unverified: "You have not compared safety numbers with this person",
  "new-device": "They joined from a device they added since this device last saw theirs, and did not approve it from another of their devices",
};
const DEVICE_TEXT = {
  yours: "this account",
  approved: "device approved by its owner",
  seen: "device seen before",
  new: "new device, not approved",
} as const;

/** A participant's mark: a shield (verified, not verified) or a warning (new device, changed number); nothing for the user's own devices. */
export function TrustBadge(props: { trust: ParticipantTrust }) {
  const { mark } = props.trust;
  if (mark === "you") return null;
  return (
    <span className={`trust-mark ${mark}`} data-testid="trust-mark" data-mark={mark} title={MARK_TITLE[mark]}>
      <Icon name={mark === "verified" || mark === "unverified" ? "shield" : "warn"} />
      {MARK_TEXT[mark]}
    </span>
  );
}

/** The participants panel: who is in the call on which device, how far you trust each, Verify. */
export function CallParticipantsPanel(props: {
  chat: ChatStore;
  people: ReadonlyArray<{ userId: string; deviceId: string }>;
  trust: (userId: string, deviceId: string) => ParticipantTrust;
  onClose: () => void;
}) {
  const { chat } = props;
  const [verifying, setVerifying] = useState<string>();
  const own = chat.client.session?.deviceId;
  return (
    <section className="call-participants" id="call-participants" aria-label="Call participants">
      <header>
        <h3>In this call · end-to-end encrypted</h3>
        <button type="button" className="icon" aria-label="Close participants" onClick={props.onClose}>
          <Icon name="close" />
        </button>
      </header>
      <ul>
        {props.people.map((p) => {
          const t = props.trust(p.userId, p.deviceId);
          const name = chat.userName(p.userId);
          return (
            <li key={p.deviceId} aria-label={name} data-device={p.deviceId}>
              <span className="call-participant-name">{p.deviceId === own ? `${name} (you)` : name}</span>
              <span className={`call-participant-device ${t.device}`} data-testid="call-device">
                <span className="mono">{p.deviceId.slice(0, 10)}…</span> · {p.deviceId === own ? "this device" : DEVICE_TEXT[t.device]}
              </span>
              <TrustBadge trust={t} />
              {t.mark !== "you" ? (
                <button type="button" onClick={() => setVerifying(p.userId)}>
                  {t.mark === "verified" ? "Details" : "Verify"}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {verifying ? <VerifyDialog chat={chat} userId={verifying} onClose={() => setVerifying(undefined)} /> : null}
    </section>
  );
}
