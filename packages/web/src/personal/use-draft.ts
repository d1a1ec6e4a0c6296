/**
 * The composer's text and its draft, kept per channel (and per thread) in the personal store:
 * the stored draft is in the box from the composer's first render, taken again once the store
 * has synced, saved a moment after the user stops typing and when they switch away, dropped
 * when the message is sent. A draft another device writes shows here while this composer still
 * holds the text it last loaded.
 *
 * A draft never replaces what the user typed: every replacement is a state update that checks
 * the box still holds the text last taken from the store. (Checking the last rendered text is
 * not enough: a keystroke's update can be queued, not yet rendered, when the store answers.)
 */
import { useEffect, useRef, useState } from "react";
import { useChat } from "../client/use-chat.ts";
import { usePersonalShelf } from "./shelf.ts";

const SAVE_AFTER_MS = 700;

export interface DraftText {
  text: string;
  setText(text: string): void;
  /** The message went out: the draft is dropped (the caller empties the box). */
  sent(): void;
}

export function useDraft(channelId: string, threadRoot: number | null): DraftText {
  const chat = useChat();
  const shelf = usePersonalShelf(chat);
  const stored = () => shelf.draft(channelId, threadRoot)?.text ?? "";
  const [text, setText] = useState(stored);
  /** The text this composer last took from the store (or saved to it): while the box still shows it, newer drafts replace it. */
  const applied = useRef(text);
  const current = useRef({ channelId, threadRoot, text });
  current.current = { channelId, threadRoot, text };
  const conversation = `${channelId}:${threadRoot}`;
  const shownFor = useRef(conversation);

  /** Show `draft` unless the user has typed since the box last took one. */
  const take = (draft: string) => {
    const before = applied.current;
    applied.current = draft;
    setText((shown) => (shown === before ? draft : shown));
  };

  // Another conversation in this composer: its draft replaces the box. Then take the draft again once the store has synced.
  useEffect(() => {
    if (shownFor.current !== conversation) {
      shownFor.current = conversation;
      applied.current = stored();
      setText(applied.current);
    }
    let gone = false;
    void shelf
      .reload()
      .catch(() => undefined)
      .then(() => {
        if (!gone) take(stored());
      });
    return () => {
      gone = true;
      // Leaving the conversation: keep what was typed.
      const left = current.current;
      if (left.text !== applied.current) void shelf.setDraft(channelId, left.text, threadRoot).catch(() => undefined);
    };
  }, [conversation]);

  // A draft changed elsewhere (another device): take it while the box is untouched.
  const remote = stored();
  useEffect(() => {
    if (remote !== applied.current) take(remote);
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
    text,
    setText,
    sent() {
      applied.current = "";
      void shelf.setDraft(channelId, "", threadRoot).catch(() => undefined);
    },
  };
}
