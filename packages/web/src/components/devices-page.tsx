import { useChat } from "../client/use-chat.ts";
import { DeviceTable } from "./device-table.tsx";
import { EncryptionBadge } from "./channel/encryption-badge.tsx";
import { UserDevices } from "../security/user-devices.tsx";
import { RecoveryKeySection } from "../security/recovery-key.tsx";

/** The signed-in user's devices: name this one, revoke lost ones. */
export function DevicesPage() {
  const chat = useChat();
  return (
    <section className="admin" aria-labelledby="devices-title">
      <header className="channel-head">
        <h1 id="devices-title">Your devices</h1>
        <div className="head-actions">
          <EncryptionBadge />
        </div>
      </header>
      <div className="admin-panel">
        <p className="muted">
          Every browser or app you sign in with is a device with its own keys. Revoke any you do not recognise or no longer use: it is signed out at once.
          Signed in as {chat.me.displayName} (@{chat.me.username}).
        </p>
        <DeviceTable />
        <h2 className="section-title">Encryption fingerprints</h2>
        <p className="muted">
          Each device signs with its own key, vouched for by the server's directory. Someone verifying you sees these fingerprints; a device here that you do
          not recognise is a reason to revoke it.
        </p>
        <UserDevices chat={chat} userId={chat.me.id} />
        <RecoveryKeySection chat={chat} />
      </div>
    </section>
  );
}
