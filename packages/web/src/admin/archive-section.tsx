/**
 * Admin console → Compliance → Compliance archive (ADR 0008), read-only: the signed policy —
 * name, version, when it was stored, what its scope covers, the signer key's fingerprint — and
 * the channels an export can cover. Changing the scope takes the archive secret, which never
 * enters a browser, so the page shows the command that does it; without a policy, the command
 * that creates one. Reading the archived channels is audited on the server (as an export's is).
 */
import { useEffect, useState } from "react";
import type { ArchivedChannel, SignedArchivePolicy } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import { scopeLines, signerFingerprint } from "./compliance-text.ts";

/** The org's archive as the tab shows it: the signed policy (or null) and the channels it archives. */
export interface ArchiveState {
  data?: { current: SignedArchivePolicy | null; storedAt: number | null; channels: ArchivedChannel[] };
  error?: string;
}

/** Load the policy, then (when there is one) the archived channels; the exports log names channels from them too. */
export function useArchive(): ArchiveState {
  const api = useChat().client.api;
  const [state, setState] = useState<ArchiveState>({});
  useEffect(() => {
    let live = true;
    (async () => {
      const { current, storedAt } = await api.call("getArchivePolicy");
      const channels = current ? (await api.call("listArchivedChannels")).channels : [];
      return { current, storedAt, channels };
    })().then(
      (data) => live && setState({ data }),
      (err: unknown) => live && setState({ error: describeAccessError(err) }),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return state;
}

/** The commands docs/compliance.md gives (the CLI runs them on the officer's machine). */
const INIT_COMMAND =
  'parley compliance archive init --name "Acme compliance archive" --kinds private --labels regulated --threshold 2 --count 3 --shares-out ./shares';
const SCOPE_COMMAND = "parley compliance archive scope --shares s1.txt,s3.txt --kinds private --channels '#trading'";

const date = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
const kindText = (c: ArchivedChannel) => (c.kind === "group_dm" ? "Group DM" : c.kind === "dm" ? "DM" : c.kind === "private" ? "Private" : "Public");

export function ArchiveSection(props: { archive: ArchiveState }) {
  const { data, error } = props.archive;
  const policy = data?.current?.policy;
  const names = new Map(data?.channels.map((c) => [c.id, `#${c.name}`]));
  return (
    <section aria-labelledby="archive-title">
      <h2 id="archive-title">Compliance archive</h2>
      <p className="note">
        Members' devices also seal the history keys of the channels in the archive's scope to the organisation's archive key, so compliance officers can produce
        what was said there while the server still cannot read it. The scope is signed with the archive secret, which never enters a browser: it is set from the
        command line, and every member's device checks the signature.
      </p>
      <FormError error={error} />
      {!data ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : !policy ? (
        <div className="archive-none">
          <p>
            <strong>No compliance archive is set up.</strong> An officer creates one on their own machine:
          </p>
          <pre>
            <code>{INIT_COMMAND}</code>
          </pre>
          <p className="muted">
            It makes the archive secret there, splits it into share files (here any two of three rebuild it; <code>--hsm-out FILE</code> keeps it wrapped by an
            HSM instead), and stores the first signed policy. The secret is never sent anywhere: hand one share to each officer and keep the shares offline.
          </p>
        </div>
      ) : (
        <>
          <dl className="security-facts" aria-label="Archive policy">
            <dt>Archive</dt>
            <dd>{policy.name}</dd>
            <dt>Policy version</dt>
            <dd>
              {policy.version}, signed {date(policy.issuedAt)}
            </dd>
            <dt>Stored</dt>
            <dd>{data.storedAt === null ? "—" : date(data.storedAt)}</dd>
            <dt>Covers</dt>
            <dd>
              <ul className="plain-list">
                {scopeLines(policy.scope, (id) => names.get(id) ?? "a deleted channel").map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            </dd>
            <dt>Signer key</dt>
            <dd>
              <code>{signerFingerprint(policy)}</code>
              <div className="muted">Members see this fingerprint in an archived channel's security panel: publish it so they can compare.</div>
            </dd>
          </dl>
          <h3>Archived channels</h3>
          {data.channels.length === 0 ? (
            <p className="muted">No channel is archived yet.</p>
          ) : (
            <table className="table" aria-label="Archived channels">
              <thead>
                <tr>
                  <th scope="col">Channel</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Labels</th>
                  <th scope="col">Archived</th>
                  <th scope="col">Key batches</th>
                  <th scope="col">Members</th>
                </tr>
              </thead>
              <tbody>
                {data.channels.map((c) => (
                  <tr key={c.id} className={c.covered ? undefined : "inactive"}>
                    <td>#{c.name}</td>
                    <td>{kindText(c)}</td>
                    <td>{c.labels.length ? c.labels.join(", ") : <span className="muted">—</span>}</td>
                    <td>{c.covered ? "Now" : "Under an earlier scope"}</td>
                    <td>{c.keyBatches.toLocaleString("en")}</td>
                    <td>{c.memberIds.length.toLocaleString("en")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h3>Changing the scope</h3>
          <p className="muted">
            Officers holding enough shares (or the HSM-wrapped secret, <code>--hsm-wrapped FILE</code>) sign version {policy.version + 1} on their own machine,
            for example:
          </p>
          <pre>
            <code>{SCOPE_COMMAND}</code>
          </pre>
          <p className="muted">
            The server stores it only if it is the next version and signed by the same key; members' devices check it before they follow it.
          </p>
        </>
      )}
    </section>
  );
}
