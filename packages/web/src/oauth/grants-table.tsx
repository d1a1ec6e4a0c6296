/** A table of OAuth grants (Profile → Connected apps, and the admin console's list with a User column). */
import type { OAuthGrant } from "@parley/protocol";

const lastUse = (t: number | null) => (t === null ? "never" : new Date(t).toLocaleString());

export function GrantsTable(props: {
  grants: OAuthGrant[];
  label: string;
  who?: (userId: string) => string;
  action: string;
  onAction: (g: OAuthGrant) => void;
}) {
  const { who } = props;
  return (
    <table className="table" aria-label={props.label}>
      <thead>
        <tr>
          {["App", ...(who ? ["User"] : []), "Scopes", "Allowed", "Last used"].map((h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.grants.map((g) => (
          <tr key={g.id}>
            <td>{g.appName}</td>
            {who ? <td>{who(g.userId)}</td> : null}
            <td>{g.scopes.join(", ")}</td>
            <td>{new Date(g.createdAt).toLocaleDateString()}</td>
            <td>{lastUse(g.lastUsedAt)}</td>
            <td className="row-actions">
              <button
                type="button"
                className="danger"
                onClick={() => props.onAction(g)}
                aria-label={`${props.action} ${g.appName}${who ? ` for ${who(g.userId)}` : ""}`}
              >
                {props.action}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
