/**
 * The channel header's encryption badge. It opens a panel that explains what
 * end-to-end encryption means here and shows the channel's MLS group: suite
 * (a "post-quantum (X-Wing)" badge where the group uses it), generation and
 * epoch, the members to verify, and — for those who may — "Reset encryption".
 */
import "../chat/features.css";
import { useEffect, useState } from "react";
import type { MyChannel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { channelMemberIds, deviceSuite, mayResetEncryption } from "../client/extras.ts";
import { Icon } from "../components/icon.tsx";
import { Modal } from "../components/dialogs/modal.tsx";
import { PresenceDot } from "../components/presence-dot.tsx";
import { suiteBadge, suiteDescription } from "./suite.ts";
import { useChannelGroup } from "./use-channel-group.ts";
import { VerifyDialog } from "./verify-dialog.tsx";
import { ResetEncryptionDialog } from "./reset-dialog.tsx";
import { HistoryPolicyChoice, historyMeaning } from "./history-policy.tsx";
import { describeError } from "../client/session.ts";
import { ArchiveFacts } from "./archive-badge.tsx";

function SecurityPanel(props: { channel: MyChannel; onClose: () => void }) {
  const chat = useChat();
  const c = props.channel;
  const group = useChannelGroup(chat, c.id, c.epoch, 1);
  const [members, setMembers] = useState<string[]>();
  const [verify, setVerify] = useState<string>();
  const [resetting, setResetting] = useState(false);
  const [policyError, setPolicyError] = useState<string>();
  useEffect(() => {
    channelMemberIds(chat, c.id).then(setMembers, () => setMembers([]));
  }, [chat, c.id]);
  const h = chat.history(c.id);
  if (verify) return <VerifyDialog chat={chat} userId={verify} onClose={() => setVerify(undefined)} />;
  // Done: close the panel too; the new timeline row shows the reset.
  if (resetting) return <ResetEncryptionDialog channel={c} onCancel={() => setResetting(false)} onDone={props.onClose} />;
  return (
    <Modal title="End-to-end encryption" onClose={props.onClose} wide>
      <p>
        Messages and files in this conversation are encrypted on the sender's device and decrypted only on the devices of its members (MLS, RFC 9420). The
        server stores and relays ciphertext: it cannot read them. Each time someone joins or leaves, or a device is added or removed, the group moves to a new
        epoch with fresh keys, so removed devices cannot read what follows. Earlier messages reach new members and new devices only as the channel's history
        policy allows, through history copies encrypted under per-epoch keys the server never has.
      </p>
      <dl className="security-facts">
        <dt>Cipher suite</dt>
        <dd data-testid="channel-suite">
          {group ? (
            <>
              {suiteDescription(group.suite)}
              {suiteBadge(group.suite) ? (
                <>
                  {" "}
                  <span className="e2ee pq">{suiteBadge(group.suite)}</span>
                </>
              ) : null}
            </>
          ) : (
            "…"
          )}
        </dd>
        <dt>Epoch</dt>
        <dd data-testid="channel-epoch">{group ? group.epoch : c.epoch}</dd>
        {group && group.generation > 0 ? (
          <>
            <dt>Group generation</dt>
            <dd data-testid="channel-generation">
              {group.generation} (reset {group.generation === 1 ? "once" : `${group.generation} times`})
            </dd>
          </>
        ) : null}
        <dt>This device</dt>
        <dd>{suiteDescription(deviceSuite(chat))}</dd>
        <dt>History</dt>
        <dd>
          {h.historyStartsAt !== undefined && h.historyStartsAt > 1
            ? `Messages before #${h.historyStartsAt} were sent before this device joined and cannot be read here.`
            : "Everything since this device joined is readable here."}
        </dd>
        {c.history ? (
          <>
            <dt>History policy</dt>
            <dd data-testid="history-meaning">{historyMeaning(c.history)}</dd>
          </>
        ) : null}
        <ArchiveFacts channelId={c.id} />
      </dl>
      {c.history && mayResetEncryption(chat, c) ? (
        <section aria-label="History policy">
          <HistoryPolicyChoice
            value={c.history}
            onChange={(p) => {
              setPolicyError(undefined);
              chat.setHistoryPolicy(c.id, p).catch((err: unknown) => setPolicyError(describeError(err)));
            }}
          />
          <p className="muted">A change applies to what is said from now on; nothing already shared is taken back.</p>
          {policyError ? (
            <p className="error" role="alert">
              {policyError}
            </p>
          ) : null}
        </section>
      ) : null}
      <h3>Members — verify their safety numbers</h3>
      <ul className="pick-list">
        {(members ?? [])
          .filter((u) => u !== chat.me.id)
          .map((u) => (
            <li key={u}>
              <span>
                <PresenceDot userId={u} /> {chat.userName(u)}
              </span>
              <button type="button" onClick={() => setVerify(u)} aria-label={`Verify ${chat.userName(u)}`}>
                Verify
              </button>
            </li>
          ))}
        {members && members.length <= 1 ? <li className="muted">No one else is in this channel yet.</li> : null}
      </ul>
      {mayResetEncryption(chat, c) ? (
        <section className="reset-section" aria-labelledby="reset-h">
          <h3 id="reset-h">Reset encryption</h3>
          <p className="muted">If messages here cannot be decrypted, give the channel a new encryption group. Everyone's devices rejoin it automatically.</p>
          <button type="button" className="danger" onClick={() => setResetting(true)}>
            Reset encryption…
          </button>
        </section>
      ) : null}
    </Modal>
  );
}

/** Badge(s) in the channel header; click to open the security panel. */
export function ChannelSecurityBadge(props: { channel: MyChannel }) {
  const chat = useChat();
  const [open, setOpen] = useState(false);
  const group = useChannelGroup(chat, props.channel.id, props.channel.epoch);
  const codec = chat.client.codec;
  const pq = suiteBadge(group?.suite);
  return (
    <>
      {codec.encrypted ? (
        <button type="button" className="e2ee on" title="End-to-end encrypted — show details" aria-haspopup="dialog" onClick={() => setOpen(true)}>
          <Icon name="lock" /> Encrypted
        </button>
      ) : (
        <span className="e2ee off" role="note" title={`Content codec ${codec.name}: the server can read messages`}>
          <Icon name="warn" /> Not end-to-end encrypted
        </span>
      )}
      {pq ? (
        <button type="button" className="e2ee pq" title={suiteDescription(group?.suite)} onClick={() => setOpen(true)}>
          <Icon name="shield" /> {pq}
        </button>
      ) : null}
      {open ? <SecurityPanel channel={props.channel} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
