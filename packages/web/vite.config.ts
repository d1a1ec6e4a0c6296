// Vite build of the web app. The SDK and protocol are workspace packages that
// ship TypeScript sources; Vite compiles them like the app's own files.
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { serviceWorker } from "./src/pwa/vite-plugin.ts";

export default defineConfig({
  // serviceWorker(): writes dist/sw.js with the precache list (src/pwa/).
  plugins: [react(), serviceWorker()],
  // The client worker (src/worker/) is an ES module worker, bundled like the app's own chunks.
  worker: { format: "es" },
  build: {
    target: "es2022",
    // No inline scripts or styles from the build: the server's CSP allows only 'self' scripts.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  server: {
    // `npm run dev -w @parley/web` against a server started with ./run start.
    proxy: { "/api": { target: "http://127.0.0.1:8080", ws: true } },
  },
});
