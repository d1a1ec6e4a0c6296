/**
 * The ten recovery codes, shown once (after setting up, or after making new ones): copy them,
 * download them as a text file, and tick "I saved them" before the view can close — the server
 * keeps only their hashes, so this is the user's only chance to keep them.
 */
import { useId, useState } from "react";
import type { Org } from "@parley/protocol";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { recoveryCodesFileName, recoveryCodesText } from "./codes.ts";

/** Save `text` as a file the browser downloads. */
function downloadText(fileName: string, text: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(a.href);
}

export function RecoveryCodes(props: {
  codes: string[];
  username: string;
  org: Pick<Org, "name" | "slug">;
  doneLabel: string;
  /** The user saved them (may be async: continuing into the app); a failure is shown here. */
  onDone: () => void | Promise<void>;
}) {
  const { codes, username, org } = props;
  const [saved, setSaved] = useState(false);
  const [copied, setCopied] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const checkId = useId();

  async function done() {
    setBusy(true);
    setError(undefined);
    try {
      await props.onDone();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  const text = () => recoveryCodesText({ codes, username, orgName: org.name, createdAt: new Date() });
  return (
    <div className="recovery-codes-box" role="region" aria-label="Your recovery codes">
      <p>
        <strong>Save your recovery codes.</strong> If you lose your phone, each code signs you in once instead of a code from the app. They are shown only now:
        keep them in a password manager, or download them and store the file somewhere safe.
      </p>
      <ol className="recovery-codes" data-testid="recovery-codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="recovery-actions">
        <button
          type="button"
          onClick={() =>
            void navigator.clipboard?.writeText(codes.join("\n")).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? "Copied" : "Copy"}
        </button>
        <button type="button" onClick={() => downloadText(recoveryCodesFileName(org.slug, username), text())}>
          Download as text
        </button>
      </div>
      <div className="check">
        <input id={checkId} type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
        <label htmlFor={checkId}>I saved them</label>
      </div>
      <FormError error={error} />
      <div className="form-actions">
        <button type="button" className="primary" disabled={!saved || busy} onClick={() => void done()}>
          {busy ? "One moment…" : props.doneLabel}
        </button>
        {saved ? null : <span className="muted small">Save the codes and tick the box to continue.</span>}
      </div>
    </div>
  );
}
