/**
 * The composer's draft, kept per channel (and per thread) in the personal store: restored when
 * the composer opens a channel (and again once the store has synced), saved a moment after the
 * user stops typing and when they switch away, dropped when the message is sent. A draft
 * another device writes shows here while this composer still holds the text it last loaded.
 */
import { useEffect, useRef } from "react";
import { useChat } from "../client/use-chat.ts";
import { usePersonalShelf } from "./shelf.ts";

const SAVE_AFTER_MS = 700;

export function useDraft(channelId: string, threadRoot: number | null, text: string, setText: (t: string) => void): { sent(): void } {
  const chat = useChat();
  const shelf = usePersonalShelf(chat);
  /** The text this composer last took from the store (or saved to it): while the box still shows it, newer drafts replace it. */
  const applied = useRef("");
  const current = useRef({ channelId, threadRoot, text });
  current.current = { channelId, threadRoot, text };

  // Open a channel: show its draft now, and again once the store has synced with the user's other devices.
  useEffect(() => {
    const load = () => {
      const d = shelf.draft(channelId, threadRoot)?.text ?? "";
      applied.current = d;
      setText(d);
    };
    load();
    let gone = false;
    void shelf
      .reload()
      .catch(() => undefined)
      .then(() => {
        if (!gone && current.current.text === applied.current) load();
      });
    return () => {
      gone = true;
      // Leaving the channel: keep what was typed.
      const left = current.current;
      if (left.text !== applied.current) void shelf.setDraft(channelId, left.text, threadRoot).catch(() => undefined);
    };
  }, [channelId, threadRoot]);

  // A draft changed elsewhere (another device): take it while the box is untouched.
  const remote = shelf.draft(channelId, threadRoot)?.text ?? "";
  useEffect(() => {
    if (remote !== applied.current && text === applied.current) {
      applied.current = remote;
      setText(remote);
    }
  }, [remote]);

  // Typing: save a moment after the last key.
  useEffect(() => {
    if (text === applied.current) return;
    const timer = setTimeout(() => {
      applied.current = text;
      void shelf.setDraft(channelId, text, threadRoot).catch(() => undefined);
    }, SAVE_AFTER_MS);
    return () => clearTimeout(timer);
  }, [text, channelId, threadRoot, shelf]);

  return {
    sent() {
      applied.current = "";
      void shelf.setDraft(channelId, "", threadRoot).catch(() => undefined);
    },
  };
}
