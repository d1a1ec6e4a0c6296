/** React binding of the ChatStore: re-render when it changes. */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { ChatStore } from "./chat-store.ts";

/** The signed-in store, provided by the app shell. */
export const ChatContext = createContext<ChatStore | undefined>(undefined);

/** The store, re-rendering the caller on every change. */
export function useChat(): ChatStore {
  const chat = useContext(ChatContext);
  if (!chat) throw new Error("useChat outside a signed-in shell");
  useSyncExternalStore(chat.subscribe, chat.getVersion);
  return chat;
}
