/**
 * The fields of the LDAP settings form (ldap-section.tsx holds the state and the actions):
 * the server and its TLS, the service account (its password write-only), where users are
 * and which attributes name them, groups and their role and channel mappings, and the rules.
 */
import type { Channel } from "@parley/protocol";
import { Field } from "../components/auth/auth-card.tsx";
import { CheckField } from "../components/check-field.tsx";
import { ChannelMappingFieldset, RoleMappingFieldset } from "./mapping-fields.tsx";
import type { LdapForm } from "./ldap-form.ts";

type Put = <K extends keyof LdapForm>(k: K, v: LdapForm[K]) => void;

function Select<V extends string>(props: { label: string; value: V; options: Array<[V, string]>; onChange: (v: V) => void }) {
  return (
    <div className="field">
      <label>
        {props.label}{" "}
        <select value={props.value} onChange={(e) => props.onChange(e.target.value as V)}>
          {props.options.map(([v, text]) => (
            <option key={v} value={v}>
              {text}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

export function LdapFields(props: { f: LdapForm; put: Put; passwordSet: boolean; channels: Channel[] }) {
  const { f, put } = props;
  const text = (label: string, k: keyof LdapForm, hint?: string, required = true) => (
    <Field label={label} name={`ldap-${k}`} value={f[k] as string} onChange={(v) => put(k, v as never)} hint={hint} required={required} autoComplete="off" />
  );
  return (
    <>
      <CheckField
        label="Directory enabled"
        hint="Off keeps the settings; directory users cannot sign in then."
        checked={f.enabled}
        onChange={(v) => put("enabled", v)}
      />
      <fieldset>
        <legend>Server</legend>
        {text("Server URL", "url", "ldaps://dc1.corp.example:636, or ldap://host:389 with StartTLS.")}
        <CheckField label="StartTLS" hint="Upgrade an ldap:// connection to TLS." checked={f.startTls} onChange={(v) => put("startTls", v)} />
        <div className="field">
          <label>
            CA certificates (PEM, optional)
            <textarea rows={3} className="mono" value={f.caPem} onChange={(e) => put("caPem", e.target.value)} placeholder="-----BEGIN CERTIFICATE-----" />
          </label>
        </div>
        {text("Bind DN", "bindDn", "The service account that searches the directory.")}
        <Field
          label="Bind password"
          name="ldap-bindPassword"
          type="password"
          value={f.bindPassword}
          onChange={(v) => put("bindPassword", v)}
          required={false}
          autoComplete="new-password"
          hint={
            props.passwordSet
              ? "Stored sealed and never shown. Leave empty to keep it; type it again when you change the URL or bind DN."
              : "Stored sealed and never shown."
          }
        />
        {text("Timeout (seconds)", "timeoutSeconds")}
      </fieldset>
      <fieldset>
        <legend>Users</legend>
        {text("User base DN", "userBase", "e.g. ou=people,dc=example,dc=org")}
        {text("User filter", "userFilter", "{username} is replaced by the escaped sign-in name.")}
        {text("Id attribute", "attrId", "Stable and unique: entryUUID (OpenLDAP), objectGUID (Active Directory).")}
        {text("Username attribute", "attrUsername", "uid, or sAMAccountName on Active Directory.")}
        {text("Display name attribute", "attrDisplayName")}
        {text("Email attribute", "attrEmail", "Empty: do not read email addresses.", false)}
      </fieldset>
      <fieldset>
        <legend>Groups</legend>
        <CheckField label="Read groups" hint="Needed for role and channel mappings." checked={f.groupsOn} onChange={(v) => put("groupsOn", v)} />
        {f.groupsOn ? (
          <>
            {text("Group base DN", "groupBase", "e.g. ou=groups,dc=example,dc=org")}
            {text("Group filter", "groupFilter")}
            {text("Member attribute", "memberAttribute", "member (groupOfNames, Active Directory) or memberUid (posixGroup).")}
            <Select
              label="Members are named by"
              value={f.memberValue}
              options={[
                ["dn", "their DN"],
                ["username", "their username"],
              ]}
              onChange={(v) => put("memberValue", v)}
            />
            {text("Group name attribute", "nameAttribute", "What mappings may name a group by, instead of its DN.")}
          </>
        ) : null}
      </fieldset>
      <RoleMappingFieldset value={f.roleMapping} onChange={(v) => put("roleMapping", v)}>
        <Select
          label="Role of people in no mapped group"
          value={f.defaultRole}
          options={[
            ["member", "member"],
            ["guest", "guest"],
          ]}
          onChange={(v) => put("defaultRole", v)}
        />
      </RoleMappingFieldset>
      <ChannelMappingFieldset value={f.channelMapping} channels={props.channels} onChange={(v) => put("channelMapping", v)} />
      <fieldset>
        <legend>Sign-in and sync</legend>
        <CheckField
          label="Local accounts may sign in"
          hint="Accounts not from the directory sign in with their Parley password."
          checked={f.allowLocalAccounts}
          onChange={(v) => put("allowLocalAccounts", v)}
        />
        <CheckField
          label="Owners and admins may use their password while the directory is down"
          checked={f.localAdminsWhenDown}
          onChange={(v) => put("localAdminsWhenDown", v)}
        />
        {text("Sync interval (minutes)", "syncIntervalMinutes", "5 minutes to a week.")}
      </fieldset>
    </>
  );
}
