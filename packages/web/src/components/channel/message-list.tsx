/**
 * The channel's messages as a virtualised list (only the visible rows are in
 * the DOM, so a 10,000-message channel scrolls smoothly). Sticks to the
 * bottom while the user is there; scrolling near the top pages in older
 * history and keeps the visible message in place.
 */
import type { HistoryPolicy } from "@parley/protocol";
import { useEffect, useLayoutEffect, useMemo, useRef } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { useChat } from "../../client/use-chat.ts";
import { buildRows } from "../../chat/rows.ts";
import { MessageItem } from "./message-item.tsx";
import { ResetRow } from "../../security/reset-row.tsx";
import type { SearchHighlight } from "../../search/search-bar.tsx";

const NEAR_TOP_PX = 400;
const NEAR_BOTTOM_PX = 80;
const EDGE_PX = 32;

export function MessageList(props: {
  channelId: string;
  title: string;
  onOpenThread: (seq: number) => void;
  highlight?: SearchHighlight | undefined;
  /** The channel's history policy (the note at the top of a history this device cannot read further back differs for `joined`). */
  history?: HistoryPolicy | undefined;
}) {
  const chat = useChat();
  const h = chat.history(props.channelId);
  const version = h.version;
  // Rows change exactly when the history's version does (the history mutates in place).
  const rows = useMemo(() => buildRows(h.messages(), h.resets()), [h, version]);
  const scroller = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<{ firstKey: string | undefined; total: number; top: number } | undefined>(undefined);
  const v = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: (i) => (rows[i]?.kind === "day" || rows[i]?.kind === "reset" ? 36 : rows[i]?.kind === "message" && rows[i].showHeader ? 58 : 30),
    getItemKey: (i) => rows[i]!.key,
    overscan: 12,
    // Room above the first row for the "beginning of the channel" / loading line.
    paddingStart: EDGE_PX,
  });

  const loadOlder = () => {
    const el = scroller.current;
    if (!el || !h.hasOlder || h.loadingOlder) return;
    anchor.current = { firstKey: rows[0]?.key, total: v.getTotalSize(), top: el.scrollTop };
    void chat.loadOlder(props.channelId).catch(() => {
      anchor.current = undefined;
    });
  };

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const a = anchor.current;
    if (a && rows[0]?.key !== a.firstKey) {
      // Older rows were prepended: shift by their (estimated) height so the view does not jump.
      el.scrollTop = a.top + (v.getTotalSize() - a.total);
      anchor.current = undefined;
    } else if (atBottom.current && rows.length) {
      v.scrollToIndex(rows.length - 1, { align: "end" });
    }
  }, [rows, v]);

  // Search: bring the current result into view (and stop sticking to the bottom while searching).
  const current = props.highlight?.current;
  useEffect(() => {
    if (current === undefined) return;
    const i = rows.findIndex((r) => r.kind === "message" && r.message.seq === current);
    if (i < 0) return;
    atBottom.current = false;
    v.scrollToIndex(i, { align: "center" });
  }, [current, rows, v]);

  // A short history that does not fill the view cannot be scrolled up: page in more right away.
  useEffect(() => {
    const el = scroller.current;
    if (el && el.scrollHeight <= el.clientHeight + NEAR_TOP_PX && h.hasOlder && !h.loadingOlder) loadOlder();
  });

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < NEAR_BOTTOM_PX;
    if (el.scrollTop < NEAR_TOP_PX) loadOlder();
  };

  return (
    <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-label={`Messages in ${props.title}`} tabIndex={0}>
      <div className="virtual" style={{ height: v.getTotalSize() }}>
        <div className="history-edge" aria-live="polite">
          {h.loadingOlder
            ? "Loading older messages…"
            : h.hasOlder
              ? ""
              : h.retentionFloor > 1 && !(h.historyStartsAt !== undefined && h.historyStartsAt > h.retentionFloor)
                ? "Older messages were removed by your organisation's retention policy."
                : h.historyStartsAt !== undefined && h.historyStartsAt > 1
                  ? props.history === "joined"
                    ? "This channel shares its history from each member's joining on: earlier messages are not shared with you."
                    : "Earlier messages were sent before this device joined: they are end-to-end encrypted and cannot be read here."
                  : `This is the beginning of ${props.title}.`}
        </div>
        {v.getVirtualItems().map((item) => {
          const row = rows[item.index]!;
          return (
            <div key={item.key} data-index={item.index} ref={v.measureElement} className="vrow" style={{ transform: `translateY(${item.start}px)` }}>
              {row.kind === "day" ? (
                <div className="day" role="separator" aria-label={row.label}>
                  <span>{row.label}</span>
                </div>
              ) : row.kind === "reset" ? (
                <ResetRow notice={row.notice} />
              ) : (
                <MessageItem
                  channelId={props.channelId}
                  m={row.message}
                  showHeader={row.showHeader}
                  onOpenThread={props.onOpenThread}
                  mark={row.message.seq === current ? "current" : props.highlight?.hits.has(row.message.seq) ? "hit" : undefined}
                />
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}
