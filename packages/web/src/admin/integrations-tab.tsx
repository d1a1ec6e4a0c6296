/**
 * Admin console → Integrations (issue 13): the org's incoming and outgoing webhooks — which bot
 * serves them, in which channel, where their runtime runs — with Disable/Enable and Delete, and
 * each integration's dead letters (deliveries its runtime gave up on: target, last status and
 * error, attempts; never content, which the server does not have).
 */
import { useCallback, useEffect, useState } from "react";
import type { Integration, IntegrationDeadLetter } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import "./identity-admin.css";

export function IntegrationsTab() {
  const chat = useChat();
  const api = chat.client.api;
  const [list, setList] = useState<Integration[]>();
  const [error, setError] = useState<string>();
  const [deleting, setDeleting] = useState<Integration>();
  const [open, setOpen] = useState<Integration>();
  const [dead, setDead] = useState<IntegrationDeadLetter[]>();
  const load = useCallback(async () => {
    try {
      setList((await api.call("listIntegrations")).integrations);
    } catch (err) {
      setError(describeError(err));
    }
  }, [api]);
  useEffect(() => {
    void load();
  }, [load]);
  const showDead = async (i: Integration) => {
    setOpen(i);
    setDead(undefined);
    try {
      setDead((await api.call("listIntegrationDeadLetters", { params: { id: i.id }, query: {} })).deadLetters);
    } catch (err) {
      setError(describeError(err));
    }
  };
  const toggle = async (i: Integration) => {
    try {
      await api.call("updateIntegration", { params: { id: i.id }, body: { enabled: !i.enabled } });
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  };
  const botName = (id: string) => {
    const u = chat.users.get(id);
    if (u) return `${u.displayName} (@${u.username})`;
    chat.userName(id); // a bot this device has not seen yet: the user list is fetched once, and the row shows its name
    return id;
  };
  const channelName = (id: string) => chat.channels.find((c) => c.id === id)?.name ?? id;

  return (
    <div className="settings-form identity-admin">
      <h2>Integrations</h2>
      <p className="note">
        Webhooks run in a bot runtime that holds the bot&apos;s keys, so messages stay end-to-end encrypted: the server keeps only what is listed here.
      </p>
      <FormError error={error} />
      {list === undefined ? (
        <p className="muted">Loading…</p>
      ) : list.length === 0 ? (
        <p className="muted">No integrations yet.</p>
      ) : (
        <table className="table" aria-label="Integrations">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Bot</th>
              <th scope="col">Channel</th>
              <th scope="col">Runs at</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((i) => (
              <tr key={i.id} className={i.enabled ? "" : "inactive"}>
                <td>{i.name}</td>
                <td>{i.kind === "incoming" ? "Incoming webhook" : "Outgoing webhook"}</td>
                <td>{botName(i.botUserId)}</td>
                <td>#{channelName(i.channelId)}</td>
                <td className="mono">{i.runsAt}</td>
                <td>{i.enabled ? "Enabled" : "Disabled"}</td>
                <td className="row-actions">
                  {i.kind === "outgoing" ? (
                    <button type="button" onClick={() => void showDead(i)} aria-label={`Dead letters of ${i.name}`}>
                      Dead letters
                    </button>
                  ) : null}
                  <button type="button" onClick={() => void toggle(i)} aria-label={`${i.enabled ? "Disable" : "Enable"} ${i.name}`}>
                    {i.enabled ? "Disable" : "Enable"}
                  </button>
                  <button type="button" className="danger" onClick={() => setDeleting(i)} aria-label={`Delete ${i.name}`}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {open ? (
        <section aria-label={`Dead letters of ${open.name}`}>
          <h3>Dead letters · {open.name}</h3>
          {dead === undefined ? (
            <p className="muted">Loading…</p>
          ) : dead.length === 0 ? (
            <p className="muted">No dead letters: every delivery arrived.</p>
          ) : (
            <table className="table" aria-label={`Dead letters table of ${open.name}`}>
              <thead>
                <tr>
                  <th scope="col">Failed</th>
                  <th scope="col">Message</th>
                  <th scope="col">Target</th>
                  <th scope="col">Last status</th>
                  <th scope="col">Error</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Delivery id</th>
                </tr>
              </thead>
              <tbody>
                {dead.map((d) => (
                  <tr key={d.deliveryId}>
                    <td>{new Date(d.failedAt).toLocaleString()}</td>
                    <td>
                      #{channelName(d.channelId)} · {d.seq}
                    </td>
                    <td className="mono">{d.targetHost}</td>
                    <td>{d.lastStatus ?? "—"}</td>
                    <td>{d.lastError}</td>
                    <td>{d.attempts}</td>
                    <td className="mono">{d.deliveryId}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete integration “${deleting.name}”?`}
          confirmLabel="Delete integration"
          busyLabel="Deleting…"
          onConfirm={async () => {
            await api.call("deleteIntegration", { params: { id: deleting.id } });
            setDeleting(undefined);
            if (open?.id === deleting.id) setOpen(undefined);
            await load();
          }}
          onClose={() => setDeleting(undefined)}
        >
          <p>Its registration and dead letters are removed. Stop its runtime too: the bot keeps its keys and channel membership until you remove it.</p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
