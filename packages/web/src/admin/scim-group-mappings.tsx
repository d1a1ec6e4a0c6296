/**
 * Admin console → Directory → SCIM groups: the groups the identity provider pushed, each with
 * an org role and channels for its members. Saving applies the mapping to the group's members
 * at once, all or nothing (a mapping that grants or takes away admin needs an owner).
 */
import { useCallback, useEffect, useState } from "react";
import type { Channel, ScimGroup, ScimMappedRole } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";

type Draft = { role: ScimMappedRole | null; channelIds: string[] };

export function ScimGroupMappings() {
  const chat = useChat();
  const api = chat.client.api;
  const [groups, setGroups] = useState<ScimGroup[]>();
  const [channels, setChannels] = useState<Channel[]>([]);
  const [drafts, setDrafts] = useState<Record<string, Draft>>({});
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const load = useCallback(
    () =>
      api.call("listScimGroups").then(
        (r) => setGroups(r.groups.sort((a, b) => a.displayName.localeCompare(b.displayName))),
        (err: unknown) => setError(describeError(err)),
      ),
    [api],
  );
  useEffect(() => {
    void load();
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => !c.archived)),
      () => setChannels([]),
    );
  }, [load, chat]);

  const draftOf = (g: ScimGroup): Draft => drafts[g.id] ?? g.mapping;
  const put = (g: ScimGroup, d: Partial<Draft>) => {
    setSaved(undefined);
    setDrafts((old) => ({ ...old, [g.id]: { ...draftOf(g), ...d } }));
  };
  async function save(g: ScimGroup) {
    setError(undefined);
    setSaved(undefined);
    try {
      await api.call("setScimGroupMapping", { params: { id: g.id }, body: draftOf(g) });
      setDrafts(({ [g.id]: _done, ...rest }) => rest);
      setSaved(`Saved: members of ${g.displayName} have the mapping now.`);
      await load();
    } catch (err) {
      setError(describeError(err));
    }
  }

  return (
    <section aria-labelledby="scim-groups-h">
      <h3 id="scim-groups-h">SCIM groups</h3>
      <FormError error={error} />
      {groups === undefined ? null : groups.length === 0 ? (
        <p className="muted">The identity provider has pushed no groups yet. Once it does, map each to a role and channels here.</p>
      ) : (
        <table className="table" aria-label="SCIM groups">
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Members</th>
              <th scope="col">Role</th>
              <th scope="col">Channels</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => {
              const d = draftOf(g);
              return (
                <tr key={g.id}>
                  <td>{g.displayName}</td>
                  <td>{g.members}</td>
                  <td>
                    <select
                      aria-label={`Role of group ${g.displayName}`}
                      value={d.role ?? ""}
                      onChange={(e) => put(g, { role: (e.target.value || null) as ScimMappedRole | null })}
                    >
                      <option value="">no role</option>
                      <option value="admin">admin</option>
                      <option value="member">member</option>
                      <option value="guest">guest</option>
                    </select>
                  </td>
                  <td>
                    <select
                      multiple
                      aria-label={`Channels of group ${g.displayName}`}
                      value={d.channelIds}
                      onChange={(e) => put(g, { channelIds: [...e.target.selectedOptions].map((o) => o.value) })}
                    >
                      {channels.map((c) => (
                        <option key={c.id} value={c.id}>
                          #{c.name}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td className="row-actions">
                    <button type="button" disabled={!drafts[g.id]} onClick={() => void save(g)} aria-label={`Save mapping of ${g.displayName}`}>
                      Save
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {saved ? (
        <p className="verified" role="status">
          {saved}
        </p>
      ) : null}
    </section>
  );
}
