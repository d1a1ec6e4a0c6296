/**
 * Verify a person: the 60-digit safety number of the two of you (the same on
 * both sides — compare it in person or on a call), and each side's devices
 * with their fingerprints. A new device of either person changes the number.
 */
import { useEffect, useState } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { safetyNumber } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { groupDigits } from "./digits.ts";
import { UserDevices } from "./user-devices.tsx";
import { useDeviceWatch, watchChanged } from "./watch-store.ts";

export function VerifyDialog(props: { chat: ChatStore; userId: string; onClose: () => void }) {
  const { chat, userId } = props;
  const watch = useDeviceWatch(chat);
  const [number, setNumber] = useState<string>();
  const [error, setError] = useState<string>();
  const name = userId === chat.me.id ? "yourself" : chat.userName(userId);
  useEffect(() => {
    safetyNumber(chat, userId).then(setNumber, (err: unknown) => setError(describeError(err)));
  }, [chat, userId]);
  const status = number ? watch.status(userId, number) : undefined;
  return (
    <Modal title={`Verify ${name}`} onClose={props.onClose} wide>
      <p>
        Compare this safety number with {name} — in person or on a call, not through Parley. If both screens show the same digits, no one (not even the server)
        has slipped a device of their own into your conversations.
      </p>
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {number ? (
        <div className="safety-number digits" data-testid="safety-number" aria-label={`Safety number ${number}`}>
          {groupDigits(number).map((g, i) => (
            <span key={i}>{g}</span>
          ))}
        </div>
      ) : !error ? (
        <p className="muted" role="status">
          Computing the safety number…
        </p>
      ) : null}
      {status === "verified" ? (
        <p className="verified" role="status">
          You verified {name}. The number has not changed since.
        </p>
      ) : null}
      {status === "changed" ? (
        <p className="form-error" role="alert">
          The safety number changed since you verified {name}: they (or someone) added or replaced a device. Compare again.
        </p>
      ) : null}
      {number && status !== "verified" ? (
        <button
          type="button"
          className="primary"
          onClick={() => {
            watch.markVerified(userId, number);
            watchChanged(chat);
          }}
        >
          The numbers match — mark as verified
        </button>
      ) : null}
      <h3>Devices of {userId === chat.me.id ? "yours" : name}</h3>
      <UserDevices chat={chat} userId={userId} />
      {userId !== chat.me.id ? (
        <>
          <h3>Your devices</h3>
          <UserDevices chat={chat} userId={chat.me.id} />
        </>
      ) : null}
    </Modal>
  );
}
