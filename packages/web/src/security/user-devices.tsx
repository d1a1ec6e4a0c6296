/**
 * A user's active devices as the directory vouches for them, each with whether the user approved it
 * (its approval verifies with their identity key) and its 30-digit fingerprint in groups of five.
 */
import { useEffect, useState } from "react";
import type { ChatStore } from "../client/chat-store.ts";
import { activeDevices, fingerprint } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { groupDigits } from "./digits.ts";

export function UserDevices(props: { chat: ChatStore; userId: string; names?: Map<string, string> }) {
  const { chat, userId } = props;
  const [rows, setRows] = useState<Array<{ deviceId: string; fp: string; approved: boolean }>>();
  const [error, setError] = useState<string>();
  const [ownNames, setOwnNames] = useState<Map<string, string>>();
  // Names are known for one's own devices only (other people's device list is not shared with members).
  useEffect(() => {
    if (userId !== chat.me.id) return;
    chat.client.api.call("listDevices").then(
      (r) => setOwnNames(new Map(r.devices.map((d) => [d.id, d.name]))),
      () => undefined,
    );
  }, [chat, userId]);
  const names = props.names ?? ownNames;
  useEffect(() => {
    let live = true;
    (async () => {
      const ids = (await activeDevices(chat, [userId])).get(userId) ?? [];
      const approved = new Set((await chat.client.deviceTrust([userId]))[0]?.approved ?? []);
      const out = await Promise.all(
        ids.map(async (deviceId) => ({ deviceId, fp: await fingerprint(chat, userId, deviceId), approved: approved.has(deviceId) })),
      );
      if (live) setRows(out);
    })().catch((err: unknown) => {
      if (live) setError(describeError(err));
    });
    return () => {
      live = false;
    };
  }, [chat, userId]);
  const thisDevice = chat.client.session?.deviceId;
  if (error)
    return (
      <p className="form-error" role="alert">
        {error}
      </p>
    );
  if (!rows)
    return (
      <p className="muted" role="status">
        Loading devices…
      </p>
    );
  if (!rows.length) return <p className="muted">No active device with a registered encryption key.</p>;
  return (
    <table className="table" aria-label={`Devices of ${chat.userName(userId)}`}>
      <thead>
        <tr>
          <th scope="col">Device</th>
          <th scope="col">Approval</th>
          <th scope="col">Fingerprint</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.deviceId}>
            <td>
              {names?.get(r.deviceId) ?? <span className="mono">{r.deviceId.slice(0, 10)}…</span>}
              {r.deviceId === thisDevice ? <span className="badge this-device">current device</span> : null}
            </td>
            <td data-testid="device-approval">
              {r.approved ? (
                <span className="badge trusted" title={`Approved by ${chat.userName(userId)} from another of their devices`}>
                  approved
                </span>
              ) : (
                <span className="badge warn" title="Not approved from another of their devices: compare fingerprints before trusting it">
                  not approved
                </span>
              )}
            </td>
            <td className="digits" data-testid="device-fingerprint" aria-label={`Fingerprint ${groupDigits(r.fp).join(" ")}`}>
              {groupDigits(r.fp).join(" ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
