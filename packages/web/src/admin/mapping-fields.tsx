/**
 * The "group → role" and "group → channel" lists of an identity source (an OpenID Connect
 * provider, the LDAP directory): one row per mapping with the group's name, the role or
 * channel, and Remove; an Add button below. Rows are labelled by their number
 * ("Group of role mapping 2") so each field has its own accessible name.
 */
import type { ReactNode } from "react";
import type { Channel, OrgRole } from "@parley/protocol";

type RoleMapping = { group: string; role: OrgRole };
type ChannelMapping = { group: string; channelId: string };

const ROLES: OrgRole[] = ["owner", "admin", "member", "guest"];

export function RoleMappingFieldset(props: { value: RoleMapping[]; onChange: (v: RoleMapping[]) => void; children?: ReactNode }) {
  const { value, onChange } = props;
  const put = (i: number, m: Partial<RoleMapping>) => onChange(value.map((x, j) => (j === i ? { ...x, ...m } : x)));
  return (
    <fieldset>
      <legend>Group → role</legend>
      {value.map((m, i) => (
        <div className="mapping-row" key={i}>
          <input aria-label={`Group of role mapping ${i + 1}`} value={m.group} onChange={(e) => put(i, { group: e.target.value })} />
          <select aria-label={`Role of role mapping ${i + 1}`} value={m.role} onChange={(e) => put(i, { role: e.target.value as OrgRole })}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          <button type="button" aria-label={`Remove role mapping ${i + 1}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange([...value, { group: "", role: "member" }])}>
        Add role mapping
      </button>
      {props.children}
    </fieldset>
  );
}

export function ChannelMappingFieldset(props: { value: ChannelMapping[]; channels: Channel[]; onChange: (v: ChannelMapping[]) => void }) {
  const { value, channels, onChange } = props;
  const put = (i: number, m: Partial<ChannelMapping>) => onChange(value.map((x, j) => (j === i ? { ...x, ...m } : x)));
  return (
    <fieldset>
      <legend>Group → channel</legend>
      {value.map((m, i) => (
        <div className="mapping-row" key={i}>
          <input aria-label={`Group of channel mapping ${i + 1}`} value={m.group} onChange={(e) => put(i, { group: e.target.value })} />
          <select aria-label={`Channel of channel mapping ${i + 1}`} value={m.channelId} onChange={(e) => put(i, { channelId: e.target.value })}>
            {channels.map((c) => (
              <option key={c.id} value={c.id}>
                #{c.name}
              </option>
            ))}
          </select>
          <button type="button" aria-label={`Remove channel mapping ${i + 1}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" disabled={!channels.length} onClick={() => onChange([...value, { group: "", channelId: channels[0]!.id }])}>
        Add channel mapping
      </button>
    </fieldset>
  );
}
