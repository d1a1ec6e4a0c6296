/**
 * Device approval in the web app (issue 9, ADR 0007). On a new device, "Approve from another
 * device" asks the user's other devices and, once one accepts, shows the six-digit code; on a
 * device that reads the key locker, a dialog appears for each request: the user confirms it was
 * them, compares the code with the new device's, and approves (the keys are handed over) or
 * declines. Everything secret stays in the client worker: only codes and request views cross.
 */
import { useEffect, useState } from "react";
import type { ApprovalRequest } from "@parley/protocol";
import type { ChatStore } from "../client/chat-store.ts";
import { describeError } from "../client/session.ts";
import { Modal } from "../components/dialogs/modal.tsx";

/** "123456" -> "123 456". */
const spaced = (code: string) => `${code.slice(0, 3)} ${code.slice(3)}`;

function Code(props: { code: string }) {
  return (
    <p className="approval-code" data-testid="approval-code" aria-label={`Code ${props.code.split("").join(" ")}`}>
      {spaced(props.code)}
    </p>
  );
}

/** The new device's side: ask, show the code, wait for the other device to approve. */
export function ApproveThisDevice(props: { chat: ChatStore; onClose: () => void }) {
  const { chat } = props;
  const [step, setStep] = useState<{ t: "asking" } | { t: "code"; code: string } | { t: "done"; added: number } | { t: "error"; message: string }>({
    t: "asking",
  });
  const [requestId, setRequestId] = useState<string>();
  useEffect(() => {
    let live = true;
    (async () => {
      const r = await chat.client.requestApproval();
      if (!live) return void chat.client.cancelApproval(r.id).catch(() => undefined);
      setRequestId(r.id);
      const code = await chat.client.approvalCode(r.id);
      if (live) setStep({ t: "code", code });
      const added = await chat.client.awaitApproval(r.id);
      chat.approved(added);
      if (live) setStep({ t: "done", added });
    })().catch((err: unknown) => {
      if (live) setStep({ t: "error", message: describeError(err) });
    });
    return () => {
      live = false;
    };
  }, [chat]);
  const close = () => {
    if (requestId && step.t !== "done") void chat.client.cancelApproval(requestId).catch(() => undefined);
    props.onClose();
  };
  return (
    <Modal title="Approve this device" onClose={close}>
      {step.t === "asking" ? (
        <p role="status">
          Open Parley on another device of yours that shows your earlier messages: it will ask whether this sign-in was you. (In the command line there, run{" "}
          <code>parley devices approve</code>.)
        </p>
      ) : step.t === "code" ? (
        <>
          <p>Check that your other device shows the same code, then confirm there. If the codes differ, decline there: someone may be interfering.</p>
          <Code code={step.code} />
          <p className="muted" role="status">
            Waiting for your other device…
          </p>
        </>
      ) : step.t === "done" ? (
        <>
          <p role="status" data-testid="approval-done">
            This device is approved: your earlier messages are readable here.
          </p>
          <button type="button" className="primary" onClick={props.onClose}>
            Done
          </button>
        </>
      ) : (
        <p className="error" role="alert">
          {step.message} Nothing on this device was changed; you can ask again.
        </p>
      )}
    </Modal>
  );
}

/** The approving device's side: one dialog per open request of the user's other devices. */
export function ApprovalPrompt(props: { chat: ChatStore }) {
  const { chat } = props;
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  // The dialog stays until the user closes it, even once its request is no longer open (approved or declined).
  const [active, setActive] = useState<ApprovalRequest>();
  const next = chat.approvals.find((r) => !dismissed.has(r.id));
  useEffect(() => {
    if (!active && next) setActive(next);
  }, [active, next]);
  const shown = active ?? next;
  if (!shown) return null;
  const close = () => {
    setDismissed(new Set([...dismissed, shown.id]));
    setActive(undefined);
  };
  return <ApproveDialog key={shown.id} chat={chat} request={shown} onClose={close} />;
}

function ApproveDialog(props: { chat: ChatStore; request: ApprovalRequest; onClose: () => void }) {
  const { chat, request } = props;
  const [step, setStep] = useState<"ask" | "waiting" | "compare" | "approving" | "done" | "declined">("ask");
  const [code, setCode] = useState<string>();
  const [error, setError] = useState<string>();
  const fail = (err: unknown) => {
    setError(describeError(err));
    setStep("ask");
  };
  const decline = () => {
    void chat.client
      .declineApproval(request.id)
      .then(() => chat.refreshApprovals())
      .catch(() => undefined);
    setStep("declined");
  };
  return (
    <Modal title="Approve a new sign-in?" onClose={step === "compare" ? decline : props.onClose}>
      {step === "ask" ? (
        <>
          <p>
            <strong>{request.deviceName}</strong> signed in as you and asks to read your earlier messages. Approve it only if you just signed in there yourself.
          </p>
          {error ? (
            <p className="error" role="alert">
              {error}
            </p>
          ) : null}
          <div className="dialog-actions">
            <button
              type="button"
              className="primary"
              onClick={() => {
                setError(undefined);
                setStep("waiting");
                chat.client.acceptApproval(request.id).then((a) => {
                  setCode(a.code);
                  setStep("compare");
                }, fail);
              }}
            >
              It was me — compare codes
            </button>
            <button type="button" className="danger" onClick={decline}>
              It was not me
            </button>
          </div>
        </>
      ) : step === "waiting" ? (
        <p role="status">Waiting for the new device to show its code…</p>
      ) : step === "compare" || step === "approving" ? (
        <>
          <p>Does {request.deviceName} show this code?</p>
          <Code code={code!} />
          <div className="dialog-actions">
            <button
              type="button"
              className="primary"
              disabled={step === "approving"}
              onClick={() => {
                setStep("approving");
                chat.client.confirmApproval(request.id).then(() => {
                  setStep("done");
                  void chat.refreshApprovals();
                }, fail);
              }}
            >
              {step === "approving" ? "Approving…" : "The codes match — approve"}
            </button>
            <button type="button" className="danger" onClick={decline} disabled={step === "approving"}>
              They differ — decline
            </button>
          </div>
        </>
      ) : (
        <>
          <p role="status" data-testid="approval-result">
            {step === "done"
              ? `${request.deviceName} is approved: it reads your earlier messages, and others see it as yours.`
              : `Declined: ${request.deviceName} was given nothing. If you did not sign in there, change your password.`}
          </p>
          <button type="button" className="primary" onClick={props.onClose}>
            Close
          </button>
        </>
      )}
    </Modal>
  );
}
