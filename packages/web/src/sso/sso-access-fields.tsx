/**
 * What every kind of SSO provider decides about accounts (OIDC and SAML forms share it):
 * group → role and group → channel mappings, the role of new accounts, and the sign-in rules
 * (just-in-time accounts, linking by verified email, only single sign-on and its break glass).
 */
import { useEffect, useId, useState } from "react";
import type { Channel, SsoAccessSettings } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { CheckField } from "../components/check-field.tsx";
import { ChannelMappingFieldset, RoleMappingFieldset } from "../admin/mapping-fields.tsx";

export const ACCESS_DEFAULTS: SsoAccessSettings = {
  name: "",
  enabled: true,
  roleMapping: [],
  channelMapping: [],
  defaultRole: "member",
  jit: true,
  linkByVerifiedEmail: false,
  enforce: false,
  localAdminsWhenDown: true,
};

export function SsoAccessFields<S extends SsoAccessSettings>(props: { value: S; set: <K extends keyof S>(k: K, v: S[K]) => void }) {
  const chat = useChat();
  const s = props.value;
  const [channels, setChannels] = useState<Channel[]>([]);
  const defaultRoleId = useId();
  useEffect(() => {
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => !c.archived)),
      () => setChannels([]),
    );
  }, [chat]);
  return (
    <>
      <RoleMappingFieldset value={s.roleMapping} onChange={(v) => props.set("roleMapping", v as S["roleMapping"])}>
        <div className="field">
          <label htmlFor={defaultRoleId}>Role of new accounts (and of those in no mapped group)</label>
          <select id={defaultRoleId} value={s.defaultRole} onChange={(e) => props.set("defaultRole", e.target.value as S["defaultRole"])}>
            <option>member</option>
            <option>guest</option>
          </select>
        </div>
      </RoleMappingFieldset>
      <ChannelMappingFieldset value={s.channelMapping} channels={channels} onChange={(v) => props.set("channelMapping", v as S["channelMapping"])} />
      <CheckField label="Enabled" checked={s.enabled} onChange={(v) => props.set("enabled", v as S["enabled"])} />
      <CheckField
        label="Create accounts at the first sign-in"
        hint="Off: only people with a linked account sign in."
        checked={s.jit}
        onChange={(v) => props.set("jit", v as S["jit"])}
      />
      <CheckField
        label="Link existing accounts by verified email"
        hint="A first sign-in whose email the IdP vouches for takes over the account with that address. Only owners may turn this on."
        checked={s.linkByVerifiedEmail}
        onChange={(v) => props.set("linkByVerifiedEmail", v as S["linkByVerifiedEmail"])}
      />
      <CheckField
        label="Only single sign-on"
        hint="Parley passwords stop working in this organisation. Sign in with this provider yourself first."
        checked={s.enforce}
        onChange={(v) => props.set("enforce", v as S["enforce"])}
      />
      <CheckField
        label="Owners and admins may use their password while the IdP is down"
        checked={s.localAdminsWhenDown}
        onChange={(v) => props.set("localAdminsWhenDown", v as S["localAdminsWhenDown"])}
      />
    </>
  );
}
