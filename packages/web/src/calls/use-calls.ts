/** React binding of the CallStore: provided by the shell, re-rendering its readers on every change. */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { CallStore } from "./call-store.ts";

/** The signed-in session's calls (undefined outside the shell, e.g. in component tests of a channel). */
export const CallContext = createContext<CallStore | undefined>(undefined);

const noop = () => () => undefined;
const zero = () => 0;

/** The call store, or undefined where there is none. */
export function useCalls(): CallStore | undefined {
  const calls = useContext(CallContext);
  useSyncExternalStore(calls?.subscribe ?? noop, calls?.getVersion ?? zero);
  return calls;
}
