import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app.tsx";
import { applyTheme } from "./theme.ts";
import { registerServiceWorker } from "./pwa/register.ts";
import { answerServiceWorker } from "./notify/notifier.ts";
import { UpdatePrompt } from "./pwa/update-prompt.tsx";
import "./styles.css";
import "./pwa/pwa.css";

applyTheme();
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
    <UpdatePrompt />
  </StrictMode>,
);
registerServiceWorker();
answerServiceWorker();
