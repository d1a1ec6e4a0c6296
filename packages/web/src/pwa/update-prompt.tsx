/** "A new version is available" banner with a Reload button (see register.ts). */
import { useSyncExternalStore } from "react";
import { applyUpdate, subscribeUpdate, updateAvailable } from "./register.ts";

export function UpdatePrompt() {
  const available = useSyncExternalStore(subscribeUpdate, updateAvailable);
  if (!available) return null;
  return (
    <div className="update-prompt" role="alert">
      <span>A new version of Parley is available.</span>
      <button type="button" className="primary" onClick={applyUpdate}>
        Reload
      </button>
    </div>
  );
}
