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
    // One small jsdom per file; a slow file is a bug, not a reason to wait.
    testTimeout: 10_000,
  },
});
