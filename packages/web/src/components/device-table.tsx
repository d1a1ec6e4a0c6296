/** Devices of a user: own ones (rename, revoke) or, for admins, anyone's (revoke). */
import { useCallback, useEffect, useState } from "react";
import type { Device } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "./auth/auth-card.tsx";

export function DeviceTable(props: { userId?: string; admin?: boolean }) {
  const chat = useChat();
  const [devices, setDevices] = useState<Device[]>([]);
  const [error, setError] = useState<string>();
  const [renaming, setRenaming] = useState<{ id: string; name: string }>();
  const api = chat.client.api;
  const userId = props.userId;
  const load = useCallback(async () => {
    try {
      const r = props.admin && userId ? await api.call("listUserDevices", { params: { id: userId } }) : await api.call("listDevices");
      setDevices(r.devices.sort((a, b) => Number(a.revoked) - Number(b.revoked) || b.createdAt - a.createdAt));
    } catch (err) {
      setError(describeError(err));
    }
  }, [api, props.admin, userId]);
  useEffect(() => {
    void load();
  }, [load]);
  const thisDevice = chat.client.session?.deviceId;
  const revoke = (d: Device) =>
    (props.admin && userId
      ? api.call("adminRevokeDevice", { params: { id: userId, deviceId: d.id } })
      : api.call("revokeDevice", { params: { id: d.id } })
    ).then(load, (err: unknown) => setError(describeError(err)));
  const rename = (id: string, name: string) =>
    api.call("renameDevice", { params: { id }, body: { name } }).then(
      () => {
        setRenaming(undefined);
        return load();
      },
      (err: unknown) => setError(describeError(err)),
    );

  return (
    <>
      <FormError error={error} />
      <table className="table" aria-label="Devices">
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Added</th>
            <th scope="col">Last seen</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {devices.map((d) => (
            <tr key={d.id} className={d.revoked ? "inactive" : ""}>
              <td>
                {renaming?.id === d.id ? (
                  <form
                    onSubmit={(e) => {
                      e.preventDefault();
                      void rename(d.id, renaming.name);
                    }}
                  >
                    <input aria-label="Device name" value={renaming.name} autoFocus onChange={(e) => setRenaming({ id: d.id, name: e.target.value })} />
                    <button type="submit">Save</button>
                  </form>
                ) : (
                  <>
                    {d.name}
                    {d.id === thisDevice ? <span className="badge this-device">this device</span> : null}
                  </>
                )}
                <div className="muted mono" title="Device id">
                  {d.id}
                </div>
              </td>
              <td>{new Date(d.createdAt).toLocaleDateString()}</td>
              <td>{d.lastSeenAt ? new Date(d.lastSeenAt).toLocaleString() : "—"}</td>
              <td>{d.revoked ? "Revoked" : "Active"}</td>
              <td className="row-actions">
                {!props.admin && !d.revoked ? (
                  <button type="button" onClick={() => setRenaming({ id: d.id, name: d.name })}>
                    Rename
                  </button>
                ) : null}
                {!d.revoked && d.id !== thisDevice ? (
                  <button type="button" className="danger" onClick={() => void revoke(d)} aria-label={`Revoke ${d.name}`}>
                    Revoke
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
