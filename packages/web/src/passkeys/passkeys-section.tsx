/**
 * The profile's "Passkeys": the user's passkeys (name, when added and last used, whether a
 * passkey provider syncs it), adding one (add-passkey.tsx), renaming one in place and removing
 * one after a confirmation (remove-passkey-dialog.tsx). `onChange` hears the list after every
 * load, so the two-factor section can say the passkeys serve as a second factor.
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { Passkey } from "@parley/protocol";
import { isParleyError } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { AddPasskey } from "./add-passkey.tsx";
import { passkeysSupported } from "./ceremony.ts";
import { describePasskeyError } from "./passkey-errors.ts";
import { RemovePasskeyDialog } from "./remove-passkey-dialog.tsx";
import "./passkeys.css";

const day = (t: number) => new Date(t).toLocaleDateString();

export function PasskeysSection(props: { onChange?: (passkeys: Passkey[]) => void }) {
  const chat = useChat();
  const [passkeys, setPasskeys] = useState<Passkey[]>();
  const [adding, setAdding] = useState(false);
  const [removing, setRemoving] = useState<Passkey>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const { onChange } = props;
  const load = useCallback(
    () =>
      chat.client.api.call("listPasskeys").then(
        (r) => {
          setPasskeys(r.passkeys);
          onChange?.(r.passkeys);
        },
        (err: unknown) => setError(describePasskeyError(err, "list")),
      ),
    [chat, onChange],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const finish = (message: string | undefined) => {
    setAdding(false);
    setRemoving(undefined);
    setDone(message);
    setError(undefined);
    void load();
  };

  return (
    <section aria-labelledby="profile-passkeys-h">
      <h2 id="profile-passkeys-h" className="section-title">
        Passkeys
      </h2>
      <p className="muted">
        A passkey signs you in with your fingerprint, face or screen lock instead of your password. It is kept on this device, your phone, a password manager or
        a security key, and works only for this Parley server, so it cannot be phished. After your password, it also serves as your second factor.
      </p>
      <FormError error={error} />
      {passkeys === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : passkeys.length ? (
        <PasskeyTable
          passkeys={passkeys}
          onRemove={(p) => {
            setDone(undefined);
            setRemoving(p);
          }}
          onRenamed={() => finish("Passkey renamed.")}
          onGone={(message) => {
            setError(message);
            void load();
          }}
        />
      ) : (
        <p>You have no passkeys yet.</p>
      )}
      {adding ? (
        <AddPasskey
          onDone={(name) => finish(`Passkey “${name}” added. Next time, choose “Sign in with a passkey” on the sign-in screen.`)}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <div className="form-actions">
          {passkeysSupported() ? (
            <button
              type="button"
              className="primary"
              onClick={() => {
                setDone(undefined);
                setError(undefined);
                setAdding(true);
              }}
            >
              Add a passkey
            </button>
          ) : (
            <span className="muted">This browser cannot create passkeys. Use a current version of Chrome, Edge, Firefox or Safari to add one.</span>
          )}
          {done ? (
            <span className="verified" role="status">
              {done}
            </span>
          ) : null}
        </div>
      )}
      {removing ? <RemovePasskeyDialog passkey={removing} onRemoved={() => finish("Passkey removed.")} onClose={() => setRemoving(undefined)} /> : null}
    </section>
  );
}

function PasskeyTable(props: { passkeys: Passkey[]; onRemove: (p: Passkey) => void; onRenamed: () => void; onGone: (message: string) => void }) {
  const [renaming, setRenaming] = useState<string>();
  return (
    <table className="table passkeys-table" aria-label="Your passkeys">
      <thead>
        <tr>
          <th scope="col">Passkey</th>
          <th scope="col">Added</th>
          <th scope="col">Last used</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.passkeys.map((p) => (
          <tr key={p.id}>
            <td>
              {renaming === p.id ? (
                <RenameForm
                  passkey={p}
                  onDone={() => {
                    setRenaming(undefined);
                    props.onRenamed();
                  }}
                  onGone={(message) => {
                    setRenaming(undefined);
                    props.onGone(message);
                  }}
                  onCancel={() => setRenaming(undefined)}
                />
              ) : (
                <>
                  <span className="passkey-name">{p.name}</span>
                  {p.backedUp ? (
                    <span className="badge synced" title="Kept in sync across your devices by your passkey provider (such as a password manager)">
                      synced
                    </span>
                  ) : null}
                </>
              )}
            </td>
            <td>{day(p.createdAt)}</td>
            <td>{p.lastUsedAt ? day(p.lastUsedAt) : "Never"}</td>
            <td className="row-actions">
              {renaming === p.id ? null : (
                <>
                  <button type="button" onClick={() => setRenaming(p.id)} aria-label={`Rename ${p.name}`}>
                    Rename
                  </button>
                  <button type="button" className="danger" onClick={() => props.onRemove(p)} aria-label={`Remove ${p.name}`}>
                    Remove
                  </button>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RenameForm(props: { passkey: Passkey; onDone: () => void; onGone: (message: string) => void; onCancel: () => void }) {
  const chat = useChat();
  const [name, setName] = useState(props.passkey.name);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return setError("Give the passkey a name, such as “Work laptop” or “Phone”.");
    setBusy(true);
    setError(undefined);
    try {
      await chat.client.api.call("renamePasskey", { params: { id: props.passkey.id }, body: { name: name.trim() } });
      props.onDone();
    } catch (err) {
      const message = describePasskeyError(err, "rename");
      if (isParleyError(err, "not_found")) return props.onGone(message);
      setError(message);
      setBusy(false);
    }
  }

  return (
    <form className="rename-passkey" onSubmit={submit} aria-label={`Rename passkey ${props.passkey.name}`} noValidate>
      <input aria-label="Passkey name" value={name} maxLength={80} autoFocus onChange={(e) => setName(e.target.value)} />
      <button type="submit" disabled={busy}>
        Save
      </button>
      <button type="button" onClick={props.onCancel} disabled={busy}>
        Cancel
      </button>
      <FormError error={error} />
    </form>
  );
}
