/**
 * The key locker in the web app (issue 9, ADR 0007). A banner at the top of the app asks the user
 * to set up their recovery key (their first device with a locker), or — on a device that does not
 * read the locker yet — to enter it or approve the device from another one (device-approval.tsx) to read
 * earlier messages. The setup dialog shows the key once, with copy and download, and a confirm
 * step (typing its last group); the restore dialog takes the key as typed. Everything runs in the
 * client worker: only the recovery key crosses to the page.
 */
import { useCallback, useEffect, useState } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { describeError } from "../client/session.ts";
import { Modal } from "../components/dialogs/modal.tsx";
import { Icon } from "../components/icon.tsx";
import { ApproveThisDevice } from "./device-approval.tsx";

/** The banner (none when the device reads the locker, or while its status is unknown). */
export function RecoveryBanner(props: { chat: ChatStore }) {
  const { chat } = props;
  const [open, setOpen] = useState<"setup" | "restore" | "approve">();
  const [later, setLater] = useState(false);
  const setUp = useCallback(() => chat.setUpRecoveryKey(), [chat]);
  const status = chat.locker;
  // One tree whether or not the banner shows: the open dialog must not remount when the status changes under it.
  return (
    <>
      {status && !status.canRead && !later ? (
        <div className="device-banner recovery-banner" role="region" aria-label="Your message history" data-testid="recovery-banner">
          <Icon name="shield" />
          {status.exists ? (
            <span>
              Messages from before this device signed in are locked on it. Approve this device from another one, or enter your recovery key, to read earlier
              messages.
            </span>
          ) : (
            <span>Protect your message history: set up a recovery key. Without it, a new device of yours cannot read your earlier messages.</span>
          )}
          <span className="spacer" />
          {status.exists ? (
            <button type="button" className="primary" onClick={() => setOpen("approve")}>
              Approve from another device
            </button>
          ) : null}
          <button type="button" className={status.exists ? "" : "primary"} onClick={() => setOpen(status.exists ? "restore" : "setup")}>
            {status.exists ? "Enter recovery key" : "Set up recovery key"}
          </button>
          <button type="button" className="link" onClick={() => setLater(true)}>
            Later
          </button>
        </div>
      ) : null}
      {dialog()}
    </>
  );

  function dialog() {
    if (open === "setup") return <RecoveryKeySetup chat={chat} create={setUp} onClose={() => setOpen(undefined)} />;
    if (open === "restore") return <RecoveryKeyRestore chat={chat} onClose={() => setOpen(undefined)} />;
    if (open === "approve") return <ApproveThisDevice chat={chat} onClose={() => setOpen(undefined)} />;
    return null;
  }
}

/** Create the recovery key (`create`: set up, or replace) and show it once: copy, download, then confirm by typing its last group. */
function RecoveryKeySetup(props: { chat: ChatStore; create: () => Promise<string>; title?: string; onClose: () => void }) {
  const { chat } = props;
  const [key, setKey] = useState<string>();
  const [error, setError] = useState<string>();
  const [typed, setTyped] = useState("");
  const [copied, setCopied] = useState(false);
  const { create } = props;
  useEffect(() => {
    let live = true;
    create().then(
      (k) => live && setKey(k),
      (err: unknown) => live && setError(describeError(err)),
    );
    return () => {
      live = false;
    };
  }, [create]);
  const lastGroup = key?.split("-").pop() ?? "";
  const confirmed = key !== undefined && typed.trim().toUpperCase() === lastGroup;
  const download = () => {
    const blob = new Blob([`Parley recovery key for ${chat.me.username} in ${chat.org.name}\n\n${key}\n\nKeep it safe: it reads all your messages.\n`], {
      type: "text/plain",
    });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "parley-recovery-key.txt";
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return (
    <Modal title={props.title ?? "Save your recovery key"} onClose={props.onClose}>
      <p>
        With this key, any new device of yours reads all your earlier messages, even when no other device of yours is at hand. It is shown only now: store it in
        a password manager or print it. Without it and without another device, your history cannot be recovered — not even by your administrator.
      </p>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : key ? (
        <>
          <p className="recovery-key" data-testid="recovery-key">
            <code>{key}</code>
          </p>
          <div className="recovery-actions">
            <button
              type="button"
              onClick={() =>
                void navigator.clipboard.writeText(key).then(
                  () => setCopied(true),
                  () => setCopied(false),
                )
              }
            >
              {copied ? "Copied" : "Copy"}
            </button>
            <button type="button" onClick={download}>
              Download
            </button>
          </div>
          <label className="field">
            <span>To confirm you saved it, type its last four characters</span>
            <input
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              aria-label="Last four characters of the key"
            />
          </label>
          <button
            type="button"
            className="primary"
            disabled={!confirmed}
            onClick={() => {
              void chat.refreshLocker();
              props.onClose();
            }}
          >
            I have saved my recovery key
          </button>
        </>
      ) : (
        <p className="muted">Creating your recovery key…</p>
      )}
    </Modal>
  );
}

/** Enter the recovery key: the device reads the locker and every channel's earlier messages. */
function RecoveryKeyRestore(props: { chat: ChatStore; onClose: () => void }) {
  const { chat } = props;
  const [key, setKey] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <Modal title="Enter your recovery key" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          setError(undefined);
          chat.restoreWithRecoveryKey(key).then(
            () => props.onClose(),
            (err: unknown) => {
              setBusy(false);
              setError(`${describeError(err)} Nothing on this device was changed.`);
            },
          );
        }}
      >
        <p>The key you saved when you set up your first device: 56 characters in groups of four. Case, spaces and dashes do not matter.</p>
        <label className="field">
          <span>Recovery key</span>
          <textarea value={key} onChange={(e) => setKey(e.target.value)} rows={2} autoComplete="off" spellCheck={false} autoFocus />
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy || key.trim().length === 0}>
          {busy ? "Reading your history…" : "Restore my history"}
        </button>
      </form>
    </Modal>
  );
}

/** The Devices page's section: whether this device reads the locker, and replacing the recovery key from one that does. */
export function RecoveryKeySection(props: { chat: ChatStore }) {
  const { chat } = props;
  const [changing, setChanging] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const change = useCallback(() => chat.changeRecoveryKey(), [chat]);
  const status = chat.locker;
  return (
    <section aria-labelledby="recovery-title">
      <h2 className="section-title" id="recovery-title">
        Recovery key
      </h2>
      <p className="muted" data-testid="recovery-status">
        {!status
          ? "…"
          : !status.exists
            ? "You have no recovery key yet: set one up from the banner at the top, or a new device of yours will not read your earlier messages."
            : status.canRead
              ? "This device reads your key locker: your earlier messages are readable here, and it can replace your recovery key."
              : "This device does not read your key locker yet: approve it from another device, or enter your recovery key, from the banner at the top."}
      </p>
      {status?.canRead ? (
        confirming ? (
          <div className="confirm" role="alertdialog" aria-label="Replace your recovery key?">
            Your current recovery key will stop working. Replace it?
            <button
              type="button"
              className="danger"
              onClick={() => {
                setConfirming(false);
                setChanging(true);
              }}
            >
              Replace it
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        ) : (
          <button type="button" onClick={() => setConfirming(true)}>
            Create a new recovery key…
          </button>
        )
      ) : null}
      {changing ? <RecoveryKeySetup chat={chat} create={change} title="Your new recovery key" onClose={() => setChanging(false)} /> : null}
    </section>
  );
}
