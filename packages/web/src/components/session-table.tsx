/** Sessions (sign-ins) of one user: the device, when it signed in and was last active, and an End button. */
import type { Session } from "@parley/protocol";

export function SessionTable(props: { sessions: Session[]; label: string; onEnd: (s: Session) => void; mayEnd?: (s: Session) => boolean }) {
  if (!props.sessions.length) return <p className="muted">No active sessions.</p>;
  return (
    <table className="table" aria-label={props.label}>
      <thead>
        <tr>
          <th scope="col">Device</th>
          <th scope="col">Signed in</th>
          <th scope="col">Last active</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.sessions.map((s) => (
          <tr key={s.id}>
            <td>
              {s.deviceName}
              {s.current ? <span className="badge this-device">this session</span> : null}
            </td>
            <td>{new Date(s.createdAt).toLocaleString()}</td>
            <td>{new Date(s.lastUsedAt).toLocaleString()}</td>
            <td className="row-actions">
              {(props.mayEnd ?? (() => true))(s) ? (
                <button type="button" className="danger" onClick={() => props.onEnd(s)} aria-label={`End session on ${s.deviceName}`}>
                  End
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
