/**
 * Composition root: config -> platform -> modules -> http + gateway.
 * `createServer()` is what `parley start`, the tests and the benchmarks use.
 */
import type { FastifyInstance } from "fastify";
import { loadConfig, redactedConfig, type Config, type ConfigInput } from "./config/schema.ts";
import { createLogger, type Logger } from "./platform/log.ts";
import { startTracing } from "./platform/tracing.ts";
import { createHttpApp } from "./http/app.ts";
import { reloadTls, tlsFiles } from "./http/tls.ts";
import { metricsUrl, startMetricsListener, type MetricsListener } from "./http/metrics.ts";
import type { Handlers } from "./core/handlers.ts";
import type { Deps } from "./context.ts";
import { composeDeps } from "./compose.ts";
import { accountsHandlers } from "./modules/accounts/routes.ts";
import { orgsHandlers } from "./modules/orgs/routes.ts";
import { channelsHandlers } from "./modules/channels/routes.ts";
import { messagesHandlers } from "./modules/messages/routes.ts";
import { inboxHandlers } from "./modules/inbox/routes.ts";
import { emojiHandlers, personalHandlers } from "./modules/personal/routes.ts";
import { reminderHandlers } from "./modules/reminders/routes.ts";
import { reminderJobHandlers } from "./modules/reminders/fire.ts";
import { callsHandlers } from "./modules/calls/routes.ts";
import { ringTimeoutHandlers } from "./modules/calls/commands.ts";
import { disconnectHandlers } from "./modules/calls/presence.ts";
import { watchCallMedia } from "./modules/calls/media-events.ts";
import { activeCounts } from "./modules/calls/store.ts";
import { botHandlers } from "./modules/bots/routes.ts";
import { integrationHandlers } from "./modules/integrations/routes.ts";
import { e2eeHandlers } from "./modules/e2ee/routes.ts";
import { filesHandlers } from "./modules/files/routes.ts";
import { mlsHandlers } from "./modules/mls/routes.ts";
import { auditHandlers } from "./modules/audit/routes.ts";
import { approvalHandlers, lockerHandlers } from "./modules/locker/routes.ts";
import { fileGcSchedule, fileJobHandlers } from "./modules/files/gc.ts";
import { archiveHandlers, complianceHandlers } from "./modules/compliance/routes.ts";
import { gdprHandlers } from "./modules/gdpr/routes.ts";
import { notificationHandlers } from "./modules/notifications/routes.ts";
import { turnHandlers } from "./modules/turn/routes.ts";
import { fanoutJobHandlers } from "./modules/notifications/fanout.ts";
import { pushJobHandlers } from "./modules/notifications/push-send.ts";
import { mentionEmailJobHandlers } from "./modules/notifications/mention-email.ts";
import { complianceJobHandlers, retentionSchedules } from "./modules/compliance/retention-run.ts";
import { e2eeJobHandlers } from "./modules/e2ee/directory-keys.ts";
import { mlsJobHandlers } from "./modules/mls/removals.ts";
import { mailJobHandlers } from "./modules/accounts/mail.ts";
import { passwordResetJobHandlers } from "./modules/accounts/password-reset.ts";
import { ldapHandlers } from "./modules/ldap/routes.ts";
import { scimHandlers } from "./modules/scim/routes.ts";
import { ssoHandlers } from "./modules/sso/routes.ts";
import { accessHandlers } from "./modules/access/routes.ts";
import { registerSsoRoutes } from "./http/sso.ts";
import { registerOAuthRoutes } from "./http/oauth.ts";
import { registerMailUnsubscribe } from "./http/mail-unsubscribe.ts";
import { oauthHandlers } from "./modules/oauth/routes.ts";
import { ldapJobHandlers, ldapSyncSchedule } from "./modules/ldap/sync.ts";
import { profileJobHandlers, statusSweepSchedule } from "./modules/accounts/profile.ts";
import { createJobRunner } from "./platform/jobs/index.ts";
import { startAuditCheckpointer } from "./modules/audit/checkpointer.ts";
import { createGateway, type Gateway } from "./gateway/gateway.ts";
import { ensureSetupToken } from "./modules/orgs/setup.ts";
import { reissueUnreadableSpCertificates } from "./modules/sso/saml-sp-repair.ts";
import type pino from "pino";

export interface ParleyServer {
  deps: Deps;
  app: FastifyInstance;
  gateway: Gateway;
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Where /metrics is served (PARLEY_METRICS_LISTEN / PARLEY_METRICS_TOKEN); undefined when it is not. */
  metricsUrl: string | undefined;
  /** Set when no org exists yet: print it so the operator can finish setup. */
  setupToken: string | undefined;
  /** Graceful shutdown: stop accepting, close sockets with 1012, finish in-flight work, flush. */
  close(): Promise<void>;
  /**
   * Re-read PARLEY_TLS_CERT / PARLEY_TLS_KEY and serve them to new connections (`parley start`
   * does it on SIGHUP). Throws, keeping the old pair, when they are unreadable or do not match;
   * false when the server does not serve TLS.
   */
  reloadTls(): boolean;
}

export interface CreateServerOptions {
  config?: ConfigInput;
  env?: NodeJS.ProcessEnv;
  /** Log destination (tests capture logs to scan them). */
  logDestination?: pino.DestinationStream;
  logger?: Logger;
  /** Report migration progress. */
  onMigration?: (name: string) => void;
}

export async function createServer(opts: CreateServerOptions = {}): Promise<ParleyServer> {
  const config: Config = loadConfig(opts.config, opts.env);
  // Before anything opens: unreadable or mismatched TLS files fail the start with a readable message.
  const tls = tlsFiles(config);
  const log = opts.logger ?? createLogger(config.logLevel, opts.logDestination);
  // OpenTelemetry (OTEL_* settings): before anything opens, so the database gets its query spans.
  const tracing = startTracing(config, log);
  let composed: Awaited<ReturnType<typeof composeDeps>>;
  try {
    composed = await composeDeps(config, { log, ...(opts.onMigration ? { onMigration: opts.onMigration } : {}) });
  } catch (err) {
    await tracing?.shutdown();
    throw err;
  }
  const { deps } = composed;
  log.info({ config: redactedConfig(config), dialect: deps.storage.dialect, node: deps.nodeId }, "starting");

  let draining = false;
  const handlers: Handlers = {
    ...accountsHandlers,
    ...accessHandlers,
    ...orgsHandlers,
    ...channelsHandlers,
    ...messagesHandlers,
    ...e2eeHandlers,
    ...mlsHandlers,
    ...filesHandlers,
    ...auditHandlers,
    ...lockerHandlers,
    ...approvalHandlers,
    ...ldapHandlers,
    ...scimHandlers,
    ...ssoHandlers,
    ...complianceHandlers,
    ...archiveHandlers,
    ...gdprHandlers,
    ...notificationHandlers,
    ...turnHandlers,
    ...inboxHandlers,
    ...personalHandlers,
    ...reminderHandlers,
    ...emojiHandlers,
    ...botHandlers,
    ...integrationHandlers,
    ...oauthHandlers,
    ...callsHandlers,
  };
  const app = await createHttpApp({ deps, handlers, draining: () => draining, tls });
  // Single sign-on's browser redirects (start, callback) and back-channel logout: not JSON API routes.
  registerSsoRoutes(app, deps);
  // OAuth2 apps: oidc-provider's endpoints under /oauth and the consent page's calls.
  registerOAuthRoutes(app, deps);
  // Mention email's one-click unsubscribe (RFC 8058): mail clients POST a form, not JSON.
  registerMailUnsubscribe(app, deps);
  const gateway = createGateway(deps);
  gateway.attach(app.server);
  // Rotate the setup token before accepting requests, so the previous run's token
  // is never accepted, not even for a moment.
  const setupToken = await ensureSetupToken(deps);
  let metricsListener: MetricsListener | undefined;
  try {
    await app.listen({ host: config.host, port: config.port });
    metricsListener = await startMetricsListener(deps);
  } catch (err) {
    // e.g. the port is taken: release what we opened so a retry starts clean.
    await app.close();
    await composed.close();
    await tracing?.shutdown();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const url = `${tls ? "https" : "http"}://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  // Links in email lead to the web app: PARLEY_PUBLIC_URL, else the address the server listens on.
  deps.publicUrl.listening(url);
  // After listening, so a new certificate names the server's real URL when PARLEY_PUBLIC_URL is unset.
  await reissueUnreadableSpCertificates(deps);
  // Durable jobs (platform/jobs): after-commit work and periodic sweeps, shared by every process on the database.
  const jobs = createJobRunner({
    db: deps.db,
    dialect: deps.storage.dialect,
    log,
    metrics: deps.metrics,
    bus: deps.bus,
    runnerId: deps.nodeId,
    now: deps.now,
    handlers: {
      ...mlsJobHandlers(deps),
      ...fileJobHandlers(deps),
      ...mailJobHandlers(deps),
      ...passwordResetJobHandlers(deps),
      ...ldapJobHandlers(deps),
      ...complianceJobHandlers(deps),
      ...e2eeJobHandlers(deps),
      ...fanoutJobHandlers(deps),
      ...pushJobHandlers(deps),
      ...mentionEmailJobHandlers(deps, (orgId, userId) => gateway.presenceOf(orgId, userId)),
      ...profileJobHandlers(deps),
      ...reminderJobHandlers(deps),
      ...ringTimeoutHandlers(deps),
      ...disconnectHandlers(deps),
    },
    schedules: [fileGcSchedule, ldapSyncSchedule, ...retentionSchedules(deps.config.retentionEveryMinutes), statusSweepSchedule],
  });
  jobs.start();
  // The active calls and participants gauges read the database when scraped.
  const callCounts = () => activeCounts(deps.db);
  deps.metrics.callCountSources.add(callCounts);
  // Group calls: the SFU's feeds and restarts reach the devices in the call; departing devices' SFU sessions end.
  const stopCallMedia = deps.sfu ? watchCallMedia(deps, deps.sfu) : undefined;
  // Bus messages that committed but were never published (a process died, or the CLI's offline admin wrote them).
  deps.relay.start();
  const auditCheckpointer = startAuditCheckpointer(deps);
  const metrics = metricsUrl(deps, url, metricsListener);
  log.info({ metrics: metrics ?? "off: set PARLEY_METRICS_LISTEN or PARLEY_METRICS_TOKEN to serve /metrics" }, "metrics");

  let closing: Promise<void> | undefined;
  return {
    deps,
    app,
    gateway,
    url,
    setupToken,
    metricsUrl: metrics,
    reloadTls() {
      if (!tls) return false;
      reloadTls(app.server, tls);
      log.info({ cert: tls.cert }, "TLS certificate reloaded");
      return true;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        log.info("shutting down: draining connections");
        await gateway.drain();
        await jobs.stop();
        deps.metrics.callCountSources.delete(callCounts);
        stopCallMedia?.();
        await auditCheckpointer.stop();
        // Node closes the idle keep-alive connections once, as close begins; a response still
        // streaming then would keep its connection (and this close) for the keep-alive timeout
        // after it ends. Close each as it goes idle instead.
        const idle = setInterval(() => app.server.closeIdleConnections(), 50);
        try {
          await app.close();
        } finally {
          clearInterval(idle);
        }
        await metricsListener?.close();
        await composed.close();
        // The last spans (this shutdown's included) go out before the process may exit.
        await tracing?.shutdown();
        log.info("stopped");
      })();
      return closing;
    },
  };
}
