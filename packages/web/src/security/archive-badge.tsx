/**
 * The compliance archive in the chat (ADR 0008): a badge on archived channels (header and sidebar),
 * a line in the security panel naming the archive, and a warning where the device found the
 * server's account wrong — there sending is blocked (the SDK refuses it too).
 */
import "./archive.css";
import { useChat } from "../client/use-chat.ts";
import { Icon } from "../components/icon.tsx";
import { archiveLine, archiveProblemText, archiveTooltip } from "./archive-text.ts";

/** "Archived for compliance" (or the problem), in the channel header; `compact`: the icon alone, for the sidebar. */
export function ArchiveBadge(props: { channelId: string; compact?: boolean }) {
  const s = useChat().archive[props.channelId];
  if (!s || (!s.archived && !s.problem)) return null;
  if (s.problem) {
    const text = archiveProblemText(s)!;
    return props.compact ? (
      <span className="archive-badge problem compact" title={text} aria-label="Archive status disputed: sending is blocked">
        <Icon name="warn" />
      </span>
    ) : (
      <span className="archive-badge problem" data-testid="archive-badge" role="note" title={text}>
        <Icon name="warn" /> Archive status disputed
      </span>
    );
  }
  return props.compact ? (
    <span className="archive-badge compact" title={archiveTooltip(s)} aria-label="Archived for compliance">
      <Icon name="archive" />
    </span>
  ) : (
    <span className="archive-badge" data-testid="archive-badge" title={archiveTooltip(s)}>
      <Icon name="archive" /> Archived for compliance
    </span>
  );
}

/** The security panel's "Compliance archive" entry (inside its <dl>); nothing for a channel the archive does not concern. */
export function ArchiveFacts(props: { channelId: string }) {
  const s = useChat().archive[props.channelId];
  if (!s || (!s.archived && !s.problem)) return null;
  return (
    <>
      <dt>Compliance archive</dt>
      <dd data-testid="archive-line">
        {s.archived ? archiveLine(s) : "Not archived under your organisation's signed policy."}
        {s.problem ? (
          <span className="archive-warning" role="alert">
            <Icon name="warn" /> {archiveProblemText(s)}
          </span>
        ) : null}
      </dd>
    </>
  );
}

/** Above the composer where sending is blocked: why. */
export function ArchiveBlockedNote(props: { channelId: string }) {
  const text = archiveProblemText(useChat().archive[props.channelId]);
  return text ? (
    <p className="archive-warning composer-note" role="alert" data-testid="archive-blocked">
      <Icon name="warn" /> {text}
    </p>
  ) : null;
}

/** Whether sending in the channel is blocked by an archive problem. */
export function useArchiveBlocked(channelId: string): boolean {
  return !!useChat().archive[channelId]?.problem;
}
