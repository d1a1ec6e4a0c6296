// Component-test setup (vitest.config.ts).
import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

// Unmount what each test rendered (Testing Library only does this on its own when test globals are on).
// The jsdom is shared by all files (isolate: false): also forget what a test stored.
afterEach(() => {
  cleanup();
  localStorage.clear();
});

// jsdom has <dialog> but not its modal API; the browser tests cover real modality and focus trapping.
if (typeof HTMLDialogElement !== "undefined" && !HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.open = true;
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.open = false;
  };
}
