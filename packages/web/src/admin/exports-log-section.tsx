/**
 * Admin console → Compliance → Exports log: the eDiscovery exports officers recorded, newest
 * first — when, by whom, what (channels or one user's messages, the period), how many items and
 * attachments, the SHA-256 of the signed manifest and the signer's fingerprint, so a bundle
 * handed over later can be matched to the export that made it. Exports are made on an officer's
 * own machine with the archive secret (`parley compliance export`), never in the browser.
 */
import { useEffect, useState } from "react";
import type { ArchiveExport, ArchivedChannel } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import { periodOf, shortHash } from "./compliance-text.ts";

const when = (t: number) => new Date(t).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function ExportsLogSection(props: { channels: ArchivedChannel[] | undefined }) {
  const chat = useChat();
  const [exports, setExports] = useState<ArchiveExport[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    chat.client.api.call("listArchiveExports").then(
      (r) => live && setExports(r.exports),
      (err: unknown) => live && setError(describeAccessError(err)),
    );
    return () => {
      live = false;
    };
  }, [chat]);
  const archived = new Map(props.channels?.map((c) => [c.id, c.name]));
  const channelName = (id: string) => `#${archived.get(id) ?? chat.channel(id)?.name ?? id}`;
  const userName = (id: string) => {
    const u = chat.users.get(id);
    return u ? `@${u.username}` : chat.userName(id);
  };

  return (
    <section aria-labelledby="exports-title">
      <h2 id="exports-title">Exports log</h2>
      <p className="note">
        Every eDiscovery export is recorded here with the SHA-256 of its signed manifest, so a bundle handed over later can be matched to the export that made
        it. Each read the export made is in the audit log too.
      </p>
      <FormError error={error} />
      {exports === undefined ? (
        error ? null : (
          <p className="muted">Loading…</p>
        )
      ) : exports.length === 0 ? (
        <p className="muted">
          No export yet. Officers make exports on their own machine with the archive secret:{" "}
          <code>parley compliance export --channel '#deals' --shares s1.txt,s3.txt --out ./deals</code> (see docs/compliance.md); each is recorded here.
        </p>
      ) : (
        <table className="table exports-log" aria-label="eDiscovery exports">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">By</th>
              <th scope="col">Covers</th>
              <th scope="col">Period</th>
              <th scope="col">Items</th>
              <th scope="col">Bundle</th>
            </tr>
          </thead>
          <tbody>
            {exports.map((x) => (
              <tr key={x.id}>
                <td>
                  <time dateTime={new Date(x.createdAt).toISOString()}>{when(x.createdAt)}</time>
                </td>
                <td>{chat.userName(x.by)}</td>
                <td>
                  {x.channelIds.length ? x.channelIds.map(channelName).join(", ") : "Every archived channel"}
                  {x.userId ? <div className="muted">Messages of {userName(x.userId)}</div> : null}
                </td>
                <td>{periodOf(x.from, x.to)}</td>
                <td>
                  {x.items.toLocaleString("en")} items, {x.attachments.toLocaleString("en")} attachments
                </td>
                <td>
                  <HashCell hex={x.manifestSha256} />
                  <div className="muted">
                    Signer key <code>{x.signerFingerprint}</code>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The manifest's hash, shortened (the full one in the title and on the clipboard). */
function HashCell(props: { hex: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="hash">
      Manifest SHA-256 <code title={props.hex}>{shortHash(props.hex)}</code>{" "}
      <button
        type="button"
        className="link"
        aria-label={`Copy manifest SHA-256 ${shortHash(props.hex)}`}
        onClick={() =>
          void navigator.clipboard?.writeText(props.hex).then(
            () => setCopied(true),
            () => setCopied(false),
          )
        }
      >
        {copied ? "Copied" : "Copy"}
      </button>
    </span>
  );
}
