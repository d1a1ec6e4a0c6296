/**
 * Asks once per device to turn on desktop notifications (the browser's permission prompt needs a
 * click). "Not now" is remembered on this device; a denied or granted permission hides it.
 */
import { useState } from "react";
import { Icon } from "../components/icon.tsx";

const DISMISSED = "parley.notify-banner.dismissed";

function askable(): boolean {
  return "Notification" in window && Notification.permission === "default" && localStorage.getItem(DISMISSED) !== "1";
}

export function NotifyBanner() {
  const [show, setShow] = useState(askable);
  if (!show) return null;
  return (
    <div className="device-banner" role="region" aria-label="Desktop notifications">
      <Icon name="bell" />
      <span>Get a desktop notification for direct messages and mentions on this device. Messages are decrypted here; the server sends no text.</span>
      <span className="spacer" />
      <button type="button" className="primary" onClick={() => void Notification.requestPermission().finally(() => setShow(askable()))}>
        Turn on notifications
      </button>
      <button
        type="button"
        className="link"
        onClick={() => {
          localStorage.setItem(DISMISSED, "1");
          setShow(false);
        }}
      >
        Not now
      </button>
    </div>
  );
}
