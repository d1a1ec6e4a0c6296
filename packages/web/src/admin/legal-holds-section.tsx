/**
 * Admin console → Compliance → Legal holds: the org's holds (active, released or all) with the
 * matter, what each covers, who placed it and when, who released it and when; "Place hold"
 * (place-hold-dialog.tsx) and "Release" (confirmed, with a note). Holds are never deleted.
 */
import { useCallback, useEffect, useState } from "react";
import type { LegalHold } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ConfirmDialog } from "../components/dialogs/confirm-dialog.tsx";
import { describeAccessError } from "./access-text.ts";
import { PlaceHoldDialog } from "./place-hold-dialog.tsx";

type Status = "active" | "released" | "all";

const when = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function LegalHoldsSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [status, setStatus] = useState<Status>("active");
  const [holds, setHolds] = useState<LegalHold[]>();
  const [error, setError] = useState<string>();
  const [placing, setPlacing] = useState(false);
  const [releasing, setReleasing] = useState<LegalHold>();
  const [note, setNote] = useState("");
  const load = useCallback(() => {
    setHolds(undefined);
    return api.call("listHolds", { query: { status } }).then(
      (r) => (setHolds(r.holds), setError(undefined)),
      (err: unknown) => setError(describeAccessError(err)),
    );
  }, [api, status]);
  useEffect(() => {
    void load();
  }, [load]);
  const who = (id: string | null) => (id ? chat.userName(id) : "System");
  const target = (h: LegalHold) => (h.scope === "user" ? `@${h.targetName}` : `#${h.targetName}`);

  return (
    <section aria-labelledby="holds-title">
      <h2 id="holds-title">Legal holds</h2>
      <p className="note">
        A hold keeps what it covers past retention and deletion, for a matter (a case, an inquiry), until it is released. Placing and releasing a hold are
        recorded in the audit log.
      </p>
      <div className="inline-fields">
        <label>
          Show
          <select value={status} onChange={(e) => setStatus(e.target.value as Status)}>
            <option value="active">Active holds</option>
            <option value="released">Released holds</option>
            <option value="all">All holds</option>
          </select>
        </label>
        <button type="button" className="primary" onClick={() => setPlacing(true)}>
          Place hold
        </button>
      </div>
      <FormError error={error} />
      {holds === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : holds.length === 0 ? (
        <p className="muted">{status === "released" ? "No hold has been released." : status === "active" ? "No active holds." : "No holds yet."}</p>
      ) : (
        <table className="table" aria-label="Legal holds">
          <thead>
            <tr>
              <th scope="col">Matter</th>
              <th scope="col">Covers</th>
              <th scope="col">Placed</th>
              <th scope="col">Released</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {holds.map((h) => (
              <tr key={h.id} className={h.releasedAt ? "inactive" : undefined}>
                <td>
                  {h.matter}
                  {h.note ? <div className="muted">{h.note}</div> : null}
                </td>
                <td>
                  {h.scope === "user" ? "User" : "Channel"} {target(h)}
                </td>
                <td>
                  {who(h.createdBy)}, <time dateTime={new Date(h.createdAt).toISOString()}>{when(h.createdAt)}</time>
                </td>
                <td>
                  {h.releasedAt ? (
                    <>
                      {who(h.releasedBy)}, <time dateTime={new Date(h.releasedAt).toISOString()}>{when(h.releasedAt)}</time>
                    </>
                  ) : (
                    <span className="badge warn">Active</span>
                  )}
                </td>
                <td className="row-actions">
                  {h.releasedAt ? null : (
                    <button
                      type="button"
                      className="danger"
                      onClick={() => (setNote(""), setReleasing(h))}
                      aria-label={`Release hold “${h.matter}” on ${target(h)}`}
                    >
                      Release
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {placing ? (
        <PlaceHoldDialog
          onClose={() => setPlacing(false)}
          onPlaced={() => {
            setPlacing(false);
            void load();
          }}
        />
      ) : null}
      {releasing ? (
        <ConfirmDialog
          title={`Release the hold “${releasing.matter}”?`}
          confirmLabel="Release hold"
          busyLabel="Releasing…"
          describe={describeAccessError}
          onConfirm={async () => {
            await api.call("releaseHold", { params: { holdId: releasing.id }, body: { note: note.trim() } });
            setReleasing(undefined);
            void load();
          }}
          onClose={() => setReleasing(undefined)}
        >
          <p>
            What this hold alone kept of {target(releasing)} is removed by the next retention run when it is past its period. Other holds still keep what they
            cover.
          </p>
          <label className="block">
            Note
            <textarea value={note} onChange={(e) => setNote(e.target.value)} maxLength={1000} rows={2} placeholder="Matter closed" />
          </label>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
