/**
 * `parley start`: run the server in this process. Server logs are JSON lines
 * on stdout; the human banner goes to stderr so the logs stay parseable.
 */
import type { Command } from "../command.ts";
import { SERVER_FLAGS_DOC, SERVER_OPTIONS, serverConfigFromFlags } from "../server-config.ts";

export const startCommand: Command = {
  name: ["start"],
  usage: "[--port N] [--host ADDR] [--data-dir DIR] [--database-url URL] [--log-level L]",
  summary: "Run the Parley server (SQLite in ./.data by default); Ctrl-C stops it gracefully",
  details: `Flags:${SERVER_FLAGS_DOC}

Prints the URL, the API docs and — while no organisation exists — the one-time
setup token with the exact command that creates the first org and its owner.
With --json the banner is one JSON line on stdout ({"event":"ready",...}) among the logs.
With PARLEY_TLS_CERT and PARLEY_TLS_KEY it serves HTTPS/WSS; SIGHUP re-reads both files
(a renewed certificate is served to new connections; a bad pair keeps the old one).`,
  options: SERVER_OPTIONS,
  async run({ opts, out, env, signal }) {
    // Loaded on demand so the client commands start fast.
    const { createServer } = await import("@parley/server");
    const server = await createServer({
      config: serverConfigFromFlags(opts),
      env,
      onMigration: (name) => out.note(`migrating database: applied ${name}`),
    });
    const docs = `${server.url}/api/docs`;
    if (out.json) {
      out.item(
        {
          event: "ready",
          url: server.url,
          apiDocs: docs,
          openapi: `${server.url}/api/openapi.json`,
          metrics: server.metricsUrl ?? null,
          setupToken: server.setupToken ?? null,
        },
        "",
      );
    } else {
      out.note(banner(server.url, server.metricsUrl, server.setupToken));
    }
    const reload = () => {
      try {
        out.note(server.reloadTls() ? "parley: TLS certificate reloaded" : "parley: SIGHUP ignored (no PARLEY_TLS_CERT: nothing to reload)");
      } catch (err) {
        out.note(`parley: TLS reload failed, still serving the previous certificate: ${(err as Error).message}`);
      }
    };
    process.on("SIGHUP", reload);
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    process.off("SIGHUP", reload);
    out.note("parley: shutting down (finishing in-flight work)...");
    // A second Ctrl-C while draining exits at once.
    const force = () => {
      out.note("parley: forced exit");
      process.exit(1);
    };
    process.once("SIGINT", force);
    process.once("SIGTERM", force);
    await server.close();
    out.note("parley: stopped");
  },
};

function banner(url: string, metricsUrl: string | undefined, setupToken: string | undefined): string {
  const lines = [
    "",
    `Parley is running at ${url}   (open it in a browser for the web app)`,
    `  API docs:  ${url}/api/docs   (OpenAPI: ${url}/api/openapi.json)`,
    `  Health:    ${url}/healthz   Metrics: ${metricsUrl ?? "off (set PARLEY_METRICS_LISTEN or PARLEY_METRICS_TOKEN)"}`,
  ];
  if (setupToken) {
    lines.push(
      "",
      `No organisation exists yet. Create the first one and its owner with this one-time setup token: ${setupToken}`,
      `  in the browser: open ${url} and enter it on the first-run screen; or from a terminal:`,
      `  PARLEY_PASSWORD='choose-a-long-password' parley setup --server ${url} --token ${setupToken} \\`,
      "      --org acme --org-name 'Acme Inc' --username alice --display-name 'Alice'",
      "(or, with the server stopped: parley admin bootstrap --org acme --org-name 'Acme Inc' --username alice --display-name 'Alice')",
    );
  } else {
    lines.push("", `Sign in: open ${url} in a browser, or parley login --server ${url} --org SLUG --username USER   (password from PARLEY_PASSWORD or stdin)`);
  }
  lines.push("Press Ctrl-C to stop.", "");
  return lines.join("\n");
}
