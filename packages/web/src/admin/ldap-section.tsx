/**
 * Admin console → Directory → LDAP / Active Directory: the settings form (ldap-fields.tsx),
 * "Test connection" (tries the form's settings — unsaved ones too — step by step and, with a
 * username, looks that person up; changes nothing), "Sync now" (a durable job: the page
 * watches for its outcome) and the last sync's outcome. Fields stay disabled until the stored
 * settings have loaded, so an edit made meanwhile is never overwritten by the late answer.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { Channel, LdapConfig, LdapSyncStatus, LdapTestResult } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { orgChannels } from "../client/extras.ts";
import { describeError } from "../client/session.ts";
import { Field, FormError } from "../components/auth/auth-card.tsx";
import { ldapFormOf, ldapInputOf, type LdapForm } from "./ldap-form.ts";
import { LdapFields } from "./ldap-fields.tsx";

const SYNC_WAIT_MS = 60_000;

export function LdapSection() {
  const chat = useChat();
  const api = chat.client.api;
  const [config, setConfig] = useState<LdapConfig>();
  const [f, setF] = useState<LdapForm>(() => ldapFormOf(null));
  const [channels, setChannels] = useState<Channel[]>([]);
  const [error, setError] = useState<string>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState<"save" | "test" | "sync">();
  const [testUser, setTestUser] = useState("");
  const [tested, setTested] = useState<LdapTestResult>();
  const [syncNote, setSyncNote] = useState<string>();

  const show = (c: LdapConfig) => {
    setConfig(c);
    setF(ldapFormOf(c.settings));
  };
  useEffect(() => {
    api.call("getLdap").then(show, (err: unknown) => setError(describeError(err)));
    orgChannels(chat).then(
      (list) => setChannels(list.filter((c) => !c.archived && c.kind === "public")),
      () => setChannels([]),
    );
  }, [api, chat]);
  const put = <K extends keyof LdapForm>(k: K, v: LdapForm[K]) => {
    setSaved(false);
    setF((old) => ({ ...old, [k]: v }));
  };

  async function run(what: "save" | "test" | "sync", action: () => Promise<void>) {
    setBusy(what);
    setError(undefined);
    try {
      await action();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(undefined);
    }
  }

  function save(e: FormEvent) {
    e.preventDefault();
    setSaved(false);
    const r = ldapInputOf(f);
    if ("problem" in r) return setError(r.problem);
    void run("save", async () => {
      show(await api.call("setLdap", { body: r.input }));
      setSaved(true);
    });
  }

  function test() {
    setTested(undefined);
    const r = ldapInputOf(f);
    if ("problem" in r) return setError(r.problem);
    void run("test", async () => {
      setTested(await api.call("testLdap", { body: { settings: r.input, ...(testUser.trim() ? { username: testUser.trim() } : {}) } }));
    });
  }

  function sync() {
    setSyncNote(undefined);
    const before = config?.lastSync?.at ?? 0;
    void run("sync", async () => {
      await api.call("syncLdap");
      setSyncNote("Sync started…");
      // The sync is a job: watch for its outcome (a new lastSync).
      for (const end = Date.now() + SYNC_WAIT_MS; Date.now() < end;) {
        await new Promise((r) => setTimeout(r, 1000));
        const c = await api.call("getLdap");
        if (c.lastSync && c.lastSync.at > before) {
          setConfig(c);
          setSyncNote(undefined);
          return;
        }
      }
      setSyncNote("The sync is still running; its outcome shows here when you come back.");
    });
  }

  const loaded = !!config;
  return (
    <section aria-labelledby="ldap-h">
      <h2 id="ldap-h">LDAP / Active Directory</h2>
      <p className="note">
        People sign in with their directory username and password, and a scheduled sync keeps names, email addresses, roles and channels in step with the
        directory; people removed or disabled there are deactivated here.
      </p>
      {config?.lastSync ? <LastSync s={config.lastSync} /> : loaded && config.settings ? <p className="muted">No sync has run yet.</p> : null}
      {syncNote ? (
        <p className="muted" role="status">
          {syncNote}
        </p>
      ) : null}
      <form onSubmit={save} aria-label="LDAP settings" noValidate>
        <fieldset disabled={!loaded} className="plain">
          <LdapFields f={f} put={put} passwordSet={!!config?.bindPasswordSet} channels={channels} />
        </fieldset>
        <FormError error={error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={!loaded || !!busy}>
            Save LDAP settings
          </button>
          <button type="button" disabled={!loaded || !config.settings || !!busy} onClick={sync}>
            {busy === "sync" ? "Syncing…" : "Sync now"}
          </button>
          {saved ? (
            <span className="verified" role="status">
              Saved.
            </span>
          ) : null}
        </div>
        <div className="inline-fields">
          <Field
            label="Look up a username (optional)"
            name="ldap-test-user"
            value={testUser}
            onChange={setTestUser}
            required={false}
            autoComplete="off"
            hint="Test finds this person and shows what Parley would make of them."
          />
          <div className="form-actions">
            <button type="button" disabled={!loaded || !!busy} onClick={test}>
              {busy === "test" ? "Testing…" : "Test connection"}
            </button>
          </div>
        </div>
        {tested ? <TestResult r={tested} /> : null}
      </form>
    </section>
  );
}

const STAGES: Record<LdapTestResult["stage"], string> = {
  connect: "connecting",
  tls: "TLS",
  bind: "the service account's bind",
  search_user: "the user search",
  search_groups: "the group search",
  done: "done",
};

function TestResult(props: { r: LdapTestResult }) {
  const { r } = props;
  return (
    <div className="test-result" role="status" aria-label="LDAP test result">
      <strong className={r.ok ? "result-success" : "result-failure"}>{r.ok ? "Connection works" : `Failed at ${STAGES[r.stage]}`}</strong> — {r.message}
      {r.user ? (
        <div className="muted small">
          Found {r.user.dn}: username {r.user.username ?? "none"}, name {r.user.displayName ?? "none"}, email {r.user.email ?? "none"}, groups{" "}
          {r.user.groups.join(", ") || "none"}, role {r.user.role}.
        </div>
      ) : null}
    </div>
  );
}

function LastSync(props: { s: LdapSyncStatus }) {
  const { s } = props;
  const c = s.counts;
  return (
    <div className="test-result" aria-label="Last sync">
      <strong className={s.ok ? "result-success" : "result-failure"}>Last sync {s.ok ? "succeeded" : "failed"}</strong> {new Date(s.at).toLocaleString()} (
      {s.trigger === "admin" ? "started by an admin" : "scheduled"}){s.message ? ` — ${s.message}` : ""}
      {c ? (
        <div className="muted small">
          {c.entries} directory entries, {c.accounts} accounts checked · {c.profilesUpdated} profiles updated · {c.rolesChanged} roles changed ·{" "}
          {c.channelsJoined} channel joins, {c.channelsLeft} leaves · {c.deactivated} deactivated, {c.reactivated} reactivated
          {c.skipped ? ` · ${c.skipped} changes refused (see the audit log)` : ""}
        </div>
      ) : null}
    </div>
  );
}
