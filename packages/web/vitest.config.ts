// Component tests (*.component.test.tsx): React Testing Library in jsdom.
// Kept apart from vite.config.ts so the build's service-worker plugin does not
// run here; node --test runs the plain *.test.ts files (scripts/test.sh).
import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  test: {
    environment: "jsdom",
    include: ["src/**/*.component.test.tsx"],
    setupFiles: ["src/testing/vitest-setup.ts"],
    // One jsdom for all files (a fresh one per file cost ~2 s each on a loaded 2-core box).
    // Every test builds its own store and worker peer; vitest-setup.ts unmounts and clears storage.
    isolate: false,
    testTimeout: 10_000,
  },
});
