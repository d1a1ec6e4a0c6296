/**
 * Admin console → Compliance → Retention: channels with their own retention (overriding the
 * org's messages and attachments periods), with Edit, Remove (confirmed: the channel follows
 * the org's policy again) and a form to add one, picking the channel from the org's channels.
 */
import { useEffect, useState } from "react";
import type { Channel, ChannelRetention } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describeAccessError } from "./access-text.ts";
import { PeriodField } from "./period-field.tsx";
import { parsePeriods, periodInput, periodText, type PeriodInput } from "./retention-periods.ts";

export function ChannelRetentionSection(props: { overrides: ChannelRetention[] | undefined; onChange: () => void }) {
  const chat = useChat();
  const [channels, setChannels] = useState<Channel[]>();
  const [editing, setEditing] = useState<ChannelRetention | "new">();
  const [removing, setRemoving] = useState<ChannelRetention>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => c.kind === "public" || c.kind === "private").sort((a, b) => a.name.localeCompare(b.name))),
      (err: unknown) => setError(describeAccessError(err)),
    );
  }, [chat]);
  const overrides = props.overrides;
  const free = channels?.filter((c) => !overrides?.some((o) => o.channelId === c.id)) ?? [];

  return (
    <section aria-labelledby="channel-retention-title">
      <h3 id="channel-retention-title">Channel overrides</h3>
      <p className="muted">A channel here keeps its messages and attachments for its own periods instead of the organisation's.</p>
      <FormError error={error} />
      {overrides === undefined ? (
        <p className="muted">Loading…</p>
      ) : overrides.length === 0 ? (
        <p className="muted">No channel has its own retention.</p>
      ) : (
        <table className="table" aria-label="Channel retention overrides">
          <thead>
            <tr>
              <th scope="col">Channel</th>
              <th scope="col">Messages</th>
              <th scope="col">Attachments</th>
              <th scope="col">Changed</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {overrides.map((o) => (
              <tr key={o.channelId}>
                <td>#{o.channelName}</td>
                <td>{periodText(o.eventsDays)}</td>
                <td>{periodText(o.filesDays)}</td>
                <td>{new Date(o.updatedAt).toLocaleString()}</td>
                <td className="row-actions">
                  <button type="button" onClick={() => setEditing(o)} aria-label={`Edit retention of #${o.channelName}`}>
                    Edit
                  </button>
                  <button type="button" className="danger" onClick={() => setRemoving(o)} aria-label={`Remove retention override of #${o.channelName}`}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing ? (
        <OverrideForm
          key={editing === "new" ? "new" : editing.channelId}
          editing={editing === "new" ? undefined : editing}
          channels={free}
          onCancel={() => setEditing(undefined)}
          onSaved={() => {
            setEditing(undefined);
            props.onChange();
          }}
        />
      ) : (
        <div className="form-actions">
          <button type="button" onClick={() => setEditing("new")} disabled={!channels || overrides === undefined || free.length === 0}>
            Add a channel override
          </button>
        </div>
      )}
      {removing ? (
        <ConfirmDialog
          title={`Remove the override of #${removing.channelName}?`}
          confirmLabel="Remove override"
          busyLabel="Removing…"
          describe={describeAccessError}
          onConfirm={async () => {
            await chat.client.api.call("clearChannelRetention", { params: { channelId: removing.channelId } });
            setRemoving(undefined);
            props.onChange();
          }}
          onClose={() => setRemoving(undefined)}
        >
          <p>#{removing.channelName} follows the organisation's retention policy again from the next run.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function OverrideForm(props: { editing: ChannelRetention | undefined; channels: Channel[]; onSaved: () => void; onCancel: () => void }) {
  const api = useChat().client.api;
  const e = props.editing;
  const [channelId, setChannelId] = useState(e?.channelId ?? "");
  const [events, setEvents] = useState<PeriodInput>(periodInput(e ? e.eventsDays : 30));
  const [files, setFiles] = useState<PeriodInput>(periodInput(e ? e.filesDays : 30));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const title = e ? `Retention of #${e.channelName}` : "New channel override";

  async function save() {
    if (!channelId) return setError("Choose a channel.");
    const parsed = parsePeriods({ eventsDays: ["Messages", events], filesDays: ["Attachments", files] });
    if ("error" in parsed) return setError(parsed.error);
    setBusy(true);
    try {
      await api.call("setChannelRetention", { params: { channelId }, body: parsed.values });
      setError(undefined);
      props.onSaved();
    } catch (err) {
      setError(describeAccessError(err));
      setBusy(false);
    }
  }

  return (
    <form
      aria-label={title}
      className="override-form"
      noValidate
      onSubmit={(ev) => {
        ev.preventDefault();
        void save();
      }}
    >
      <h4>{title}</h4>
      {e ? null : (
        <label className="block">
          Channel
          <select value={channelId} onChange={(ev) => setChannelId(ev.target.value)}>
            <option value="">Choose a channel…</option>
            {props.channels.map((c) => (
              <option key={c.id} value={c.id}>
                #{c.name}
                {c.archived ? " (archived)" : ""}
              </option>
            ))}
          </select>
        </label>
      )}
      <PeriodField label="Messages" hint="Messages and what refers to them older than this are removed." value={events} disabled={busy} onChange={setEvents} />
      <PeriodField label="Attachments" hint="Files older than this are removed." value={files} disabled={busy} onChange={setFiles} />
      <FormError error={error} />
      <div className="row-actions">
        <button type="submit" className="primary" disabled={busy}>
          Save override
        </button>
        <button type="button" onClick={props.onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}
