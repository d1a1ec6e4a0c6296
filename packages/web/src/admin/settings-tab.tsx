/**
 * Admin console: org settings. The MLS cipher suite for new groups (PUT
 * /e2ee/config), the password policy (password-policy-section.tsx), the
 * two-factor authentication policy (mfa-policy-section.tsx), the message
 * edit policy (edit-policy-section.tsx) and the
 * limits the API exposes. Changing the suite does not
 * touch existing channels: every group keeps the suite it was created with.
 * The suite's choice stays disabled until the stored one has loaded, so a
 * choice made meanwhile is never overwritten by the late answer.
 */
import { useEffect, useState } from "react";
import { DEFAULT_LIMITS, type E2eeConfig, type E2eeSuite } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { deviceSuite, e2eeConfig, setE2eeSuite } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { formatBytes } from "../chat/format.ts";
import { suiteBadge, suiteDescription } from "../security/suite.ts";
import { PasswordPolicySection } from "./password-policy-section.tsx";
import { MfaPolicySection } from "./mfa-policy-section.tsx";
import { EditPolicySection } from "./edit-policy-section.tsx";
import { CallPolicySection } from "./call-policy-section.tsx";

const SUITES: E2eeSuite[] = ["default", "xwing"];

export function SettingsTab() {
  const chat = useChat();
  const [config, setConfig] = useState<E2eeConfig>();
  const [choice, setChoice] = useState<E2eeSuite>();
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    e2eeConfig(chat).then(
      (c) => {
        setConfig(c);
        setChoice(c.suite);
      },
      (err: unknown) => setError(describeError(err)),
    );
  }, [chat]);
  const mine = deviceSuite(chat);

  async function save() {
    if (!choice) return;
    setError(undefined);
    setSaved(false);
    try {
      setConfig(await setE2eeSuite(chat, choice));
      setSaved(true);
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <div className="settings-form">
      <h2>End-to-end encryption</h2>
      <fieldset className="radio" aria-label="Cipher suite for new channels">
        <legend>Cipher suite for channels created from now on</legend>
        {SUITES.map((s) => (
          <label key={s}>
            <input
              type="radio"
              name="suite"
              value={s}
              checked={choice === s}
              disabled={!config}
              onChange={() => {
                setChoice(s);
                setSaved(false);
              }}
            />{" "}
            {s === "xwing" ? "Post-quantum (X-Wing)" : "Standard"} — <span className="muted">{suiteDescription(s)}</span>
          </label>
        ))}
      </fieldset>
      <p className="note">
        The suite applies to channels and direct messages whose encryption group is created <strong>after</strong> the change; existing channels keep the suite
        they were created with. Each device's keys are made for one suite, and a group is created with the suite of the device that starts it: devices signed in
        before the change (this one uses {suiteDescription(mine).split(":")[0]}) keep the old suite: to move them, sign them out, sign in again (a new device)
        and revoke the old device, because a group holds only devices of its own suite. Post-quantum (X-Wing) protects today's messages against decryption by a
        future quantum computer; its keys and messages are larger.
      </p>
      <div>
        <button type="button" className="primary" disabled={!choice || choice === config?.suite} onClick={() => void save()}>
          Save suite
        </button>
        {saved ? (
          <span className="verified" role="status">
            {" "}
            Saved: new channels use {suiteBadge(config?.suite) ?? "the standard suite"}.
          </span>
        ) : null}
      </div>
      <FormError error={error} />
      <p>
        Current org suite: <strong data-testid="org-suite">{config ? (suiteBadge(config.suite) ?? "standard") : "…"}</strong>
      </p>

      <PasswordPolicySection />

      <MfaPolicySection />

      <EditPolicySection />

      <CallPolicySection />

      <h2>Limits</h2>
      <p className="muted">
        The API reports only the KeyPackage low-water mark of this server. The other figures are this protocol version's defaults; an operator may configure the
        server differently (the API does not expose its configured limits).
      </p>
      <dl className="security-facts" aria-label="Limits">
        <dt>KeyPackage low-water mark (this server)</dt>
        <dd>{config?.keyPackageLowWater ?? "…"} per device</dd>
        <dt>Message size (default)</dt>
        <dd>{formatBytes(DEFAULT_LIMITS.messageBytes)} encrypted</dd>
        <dt>Attachments per message (default)</dt>
        <dd>{DEFAULT_LIMITS.filesPerEvent}</dd>
        <dt>File size (default)</dt>
        <dd>100 MiB</dd>
        <dt>Mentions per message (default)</dt>
        <dd>{DEFAULT_LIMITS.mentions}</dd>
        <dt>Group DM members (default)</dt>
        <dd>{DEFAULT_LIMITS.groupDmMembers + 1}</dd>
      </dl>
    </div>
  );
}
