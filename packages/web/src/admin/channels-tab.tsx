/**
 * Admin console: the org's channels with member counts and labels; rename, label, archive,
 * unarchive and delete. The API lists public channels (browse, archived included) and
 * the private channels the admin is a member of; private channels the admin
 * is not in are not listed by any route.
 */
import { useCallback, useEffect, useState } from "react";
import type { Channel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { ChannelLabels } from "../components/channel-labels.tsx";
import { ChannelLabelsForm } from "./channel-labels-form.tsx";
import { DeleteChannelDialog } from "../chat/delete-channel-dialog.tsx";

type Row = Channel & { joined: boolean };

export function ChannelsTab() {
  const chat = useChat();
  const [rows, setRows] = useState<Row[]>();
  const [error, setError] = useState<string>();
  const [renaming, setRenaming] = useState<{ id: string; name: string }>();
  const [labelling, setLabelling] = useState<string>();
  const [deleting, setDeleting] = useState<Row>();
  const api = chat.client.api;
  const load = useCallback(
    () =>
      orgChannels(chat).then(
        (list) => setRows(list.sort((a, b) => Number(a.archived) - Number(b.archived) || a.name.localeCompare(b.name))),
        (err: unknown) => setError(describeError(err)),
      ),
    [chat],
  );
  useEffect(() => {
    void load();
  }, [load]);
  const run = (p: Promise<unknown>) =>
    p.then(
      async () => {
        setError(undefined);
        await load();
        await chat.refreshChannels();
      },
      (err: unknown) => setError(describeError(err)),
    );

  return (
    <>
      <p className="muted">
        Public channels of {chat.org.name}, and the private channels you are a member of (private channels you are not in are not listed: only their members can
        see them). Archived channels are read-only until unarchived.
      </p>
      <FormError error={error} />
      <table className="table" aria-label="Channels">
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Kind</th>
            <th scope="col">Members</th>
            <th scope="col">Labels</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows?.map((c) => (
            <tr key={c.id} className={c.archived ? "inactive" : ""}>
              <td>
                {renaming?.id === c.id ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      void run(api.call("updateChannel", { params: { channelId: c.id }, body: { name: renaming.name.trim() } })).then(() =>
                        setRenaming(undefined),
                      );
                    }}
                  >
                    <input
                      aria-label={`New name for ${c.name}`}
                      value={renaming.name}
                      autoFocus
                      onChange={(e) => setRenaming({ id: c.id, name: e.target.value })}
                    />
                    <button type="submit">Save</button>{" "}
                    <button type="button" onClick={() => setRenaming(undefined)}>
                      Cancel
                    </button>
                  </form>
                ) : (
                  <>
                    {c.kind === "private" ? "🔒 " : "# "}
                    {c.name}
                  </>
                )}
                {c.topic ? <div className="muted">{c.topic}</div> : null}
              </td>
              <td>{c.kind}</td>
              <td>{c.memberCount}</td>
              <td>
                {labelling === c.id ? (
                  <ChannelLabelsForm
                    channel={c}
                    onDone={(saved) => {
                      setLabelling(undefined);
                      if (saved) void run(Promise.resolve());
                    }}
                  />
                ) : (
                  <ChannelLabels labels={c.labels} />
                )}
              </td>
              <td>{c.archived ? "Archived" : "Active"}</td>
              <td className="row-actions">
                {!c.archived && renaming?.id !== c.id ? (
                  <button type="button" aria-label={`Rename ${c.name}`} onClick={() => setRenaming({ id: c.id, name: c.name })}>
                    Rename
                  </button>
                ) : null}
                {labelling !== c.id ? (
                  <button type="button" aria-label={`Labels of ${c.name}`} onClick={() => setLabelling(c.id)}>
                    Labels
                  </button>
                ) : null}
                {c.archived ? (
                  <button
                    type="button"
                    aria-label={`Unarchive ${c.name}`}
                    onClick={() => void run(api.call("unarchiveChannel", { params: { channelId: c.id } }))}
                  >
                    Unarchive
                  </button>
                ) : (
                  <button
                    type="button"
                    className="danger"
                    aria-label={`Archive ${c.name}`}
                    onClick={() => void run(api.call("archiveChannel", { params: { channelId: c.id } }))}
                  >
                    Archive
                  </button>
                )}
                <button type="button" className="danger" aria-label={`Delete ${c.name}`} onClick={() => setDeleting(c)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
          {rows?.length === 0 ? (
            <tr>
              <td colSpan={6} className="muted">
                No channels yet.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {deleting ? (
        <DeleteChannelDialog
          chat={chat}
          channel={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleting(undefined);
            void load();
          }}
        />
      ) : null}
    </>
  );
}
