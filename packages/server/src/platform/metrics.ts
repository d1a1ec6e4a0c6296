/** Prometheus metrics, one registry per server instance (tests run several). */
import client from "prom-client";

export interface Metrics {
  registry: client.Registry;
  wsConnections: client.Gauge;
  eventsPersisted: client.Counter;
  deliveries: client.Counter;
  /** Seconds from commit to the frame being handed to the socket. */
  fanoutLatency: client.Histogram;
  /** Seconds per database transaction/query in the hot paths. */
  dbLatency: client.Histogram<"op">;
  /** Commands through runCommand (command.ts), by name, actor kind and outcome. */
  commands: client.Histogram<"command" | "actor" | "outcome">;
  httpDuration: client.Histogram<"route" | "status">;
  wsClosed: client.Counter<"reason">;
  /** Commit bundles the server refused, by reason (stale_epoch, pending_removals, mixed_commit, ...): broken groups show here first. */
  mlsCommitRejections: client.Counter<"reason">;
  /** External commits by which a device replaced its own leaf (it had lost or could not follow the group's state). */
  mlsResyncs: client.Counter;
  /** Channel encryption resets, by reason. */
  mlsResets: client.Counter<"reason">;
  /**
   * Sources of the `parley_ws_buffered_bytes` gauge (unsent WebSocket output the
   * node holds), summed when scraped: each gateway adds one while it runs.
   */
  wsBufferedSources: Set<() => number>;
  /** Durable jobs (platform/jobs) that succeeded, by job name. */
  jobsRun: client.Counter<"name">;
  /** Job attempts that threw, by job name (a retry or a dead letter follows). */
  jobsFailed: client.Counter<"name">;
  /** Jobs that used up their attempts (dead letters), by job name. */
  jobsDead: client.Counter<"name">;
  /** Seconds per job attempt, by job name. */
  jobDuration: client.Histogram<"name">;
  /** Bus messages the outbox relay published: at once after their commit, or swept up later (platform/bus/outbox.ts). */
  busRelayed: client.Counter<"path">;
  /** Messages this node sent to and received from NATS, by direction and topic (the in-process bus counts none). */
  busMessages: client.Counter<"direction" | "topic">;
  /** 1 while the bus is connected: NATS's connection is up (0 while it reconnects); always 1 in process. */
  busConnected: client.Gauge;
  /** Sources of the `parley_jobs_queued` gauge, read when scraped: the job runner adds one (a count in the database). */
  jobsQueuedSources: Set<() => Promise<number>>;
  /** Uses of orgs' LDAP directories (sign_in, sync, test, reauth), by outcome (ok, rejected, unavailable): an unreachable directory shows here first. */
  ldap: client.Counter<"operation" | "outcome">;
  /** What retention runs removed, by kind (events, events_held: moved aside for a legal hold, files, audit). */
  retentionRemoved: client.Counter<"kind">;
  /** TURN credentials handed to devices (modules/turn). The SFU and coturn-allocation gauges are registered by their adapters (platform/sfu, platform/turn). */
  turnCredentials: client.Counter;
  /** Sources of the `parley_calls_active` and `parley_call_participants` gauges (a count in the database), read when scraped. */
  callCountSources: Set<() => Promise<{ calls: number; participants: number }>>;
  /** Seconds from a call's start to a second device joining it (call setup, signalling part). */
  callSetup: client.Histogram;
  /** Call starts refused by the per-user ring limit. */
  callRingsThrottled: client.Counter;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "parley_" });
  // prom-client's sums of the per-type handle/request/resource gauges end in `_total`, which
  // Prometheus reserves for counters (`promtool check metrics` refuses them): sum() the
  // per-type gauges (parley_nodejs_active_handles etc.) instead.
  for (const kind of ["handles", "requests", "resources"]) registry.removeSingleMetric(`parley_nodejs_active_${kind}_total`);
  const wsBufferedSources = new Set<() => number>();
  new client.Gauge({
    name: "parley_ws_buffered_bytes",
    help: "Unsent WebSocket output held by the server (socket buffers and frames queued during replay)",
    registers: [registry],
    collect() {
      let n = 0;
      for (const source of wsBufferedSources) n += source();
      this.set(n);
    },
  });
  const jobsQueuedSources = new Set<() => Promise<number>>();
  new client.Gauge({
    name: "parley_jobs_queued",
    help: "Durable jobs waiting to run (queued, due or not), server-wide",
    registers: [registry],
    async collect() {
      // Every runner on one database sees the same count: report the first source's.
      for (const source of jobsQueuedSources) {
        this.set(await source());
        return;
      }
    },
  });
  const callCountSources = new Set<() => Promise<{ calls: number; participants: number }>>();
  const callCounts = async () => {
    for (const source of callCountSources) return source();
    return { calls: 0, participants: 0 };
  };
  new client.Gauge({
    name: "parley_calls_active",
    help: "Calls going on, server-wide",
    registers: [registry],
    async collect() {
      this.set((await callCounts()).calls);
    },
  });
  new client.Gauge({
    name: "parley_call_participants",
    help: "Devices in calls going on, server-wide",
    registers: [registry],
    async collect() {
      this.set((await callCounts()).participants);
    },
  });
  return {
    wsBufferedSources,
    jobsQueuedSources,
    callCountSources,
    callSetup: new client.Histogram({
      name: "parley_call_setup_seconds",
      help: "Time from a call's start to a second device joining it",
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers: [registry],
    }),
    callRingsThrottled: new client.Counter({
      name: "parley_call_rings_throttled_total",
      help: "Call starts refused by the per-user ring limit",
      registers: [registry],
    }),
    registry,
    wsConnections: new client.Gauge({ name: "parley_ws_connections", help: "Open authenticated WebSocket connections", registers: [registry] }),
    busRelayed: new client.Counter({
      name: "parley_bus_relayed_total",
      help: "Bus messages published from the outbox, by path (immediate after commit, or sweep of rows left behind)",
      labelNames: ["path"],
      registers: [registry],
    }),
    busMessages: new client.Counter({
      name: "parley_bus_messages_total",
      help: "Bus messages sent to (published) and received from (received) NATS, by topic",
      labelNames: ["direction", "topic"],
      registers: [registry],
    }),
    busConnected: new client.Gauge({
      name: "parley_bus_connected",
      help: "1 while the bus is connected (NATS: 0 while it reconnects; the in-process bus: always 1)",
      registers: [registry],
    }),
    eventsPersisted: new client.Counter({ name: "parley_events_persisted_total", help: "Channel events persisted", registers: [registry] }),
    deliveries: new client.Counter({ name: "parley_deliveries_total", help: "Event frames delivered to connections", registers: [registry] }),
    fanoutLatency: new client.Histogram({
      name: "parley_fanout_latency_seconds",
      help: "Commit to socket write, per event",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    commands: new client.Histogram({
      name: "parley_command_duration_seconds",
      help: "Commands (one transaction each), by name, actor kind and outcome",
      labelNames: ["command", "actor", "outcome"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    dbLatency: new client.Histogram({
      name: "parley_db_latency_seconds",
      help: "Database operation latency",
      labelNames: ["op"],
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    httpDuration: new client.Histogram({
      name: "parley_http_request_duration_seconds",
      help: "HTTP request duration",
      labelNames: ["route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    wsClosed: new client.Counter({ name: "parley_ws_closed_total", help: "WebSocket connections closed", labelNames: ["reason"], registers: [registry] }),
    mlsCommitRejections: new client.Counter({
      name: "parley_mls_commit_rejections_total",
      help: "MLS commit bundles refused, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    mlsResyncs: new client.Counter({
      name: "parley_mls_resyncs_total",
      help: "External commits that replaced the joiner's own leaf (resync)",
      registers: [registry],
    }),
    mlsResets: new client.Counter({
      name: "parley_mls_resets_total",
      help: "Channel encryption resets, by reason",
      labelNames: ["reason"],
      registers: [registry],
    }),
    retentionRemoved: new client.Counter({
      name: "parley_retention_removed_total",
      help: "Rows removed by retention runs, by kind (events, events_held: kept aside for a legal hold, files, audit)",
      labelNames: ["kind"],
      registers: [registry],
    }),
    jobsRun: new client.Counter({ name: "parley_jobs_run_total", help: "Durable jobs that succeeded, by name", labelNames: ["name"], registers: [registry] }),
    jobsFailed: new client.Counter({
      name: "parley_jobs_failed_total",
      help: "Durable job attempts that failed, by name",
      labelNames: ["name"],
      registers: [registry],
    }),
    jobsDead: new client.Counter({
      name: "parley_jobs_dead_total",
      help: "Durable jobs that used up their attempts (dead letters), by name",
      labelNames: ["name"],
      registers: [registry],
    }),
    jobDuration: new client.Histogram({
      name: "parley_job_duration_seconds",
      help: "Durable job attempt duration, by name",
      labelNames: ["name"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    }),
    turnCredentials: new client.Counter({
      name: "parley_turn_credentials_issued_total",
      help: "Time-limited TURN credentials issued to devices",
      registers: [registry],
    }),
    ldap: new client.Counter({
      name: "parley_ldap_operations_total",
      help: "Uses of orgs' LDAP directories, by operation (sign_in, sync, test, reauth) and outcome (ok, rejected, unavailable)",
      labelNames: ["operation", "outcome"],
      registers: [registry],
    }),
  };
}
