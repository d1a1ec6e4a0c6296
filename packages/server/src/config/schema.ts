/**
 * The one schema for every server setting. Values come from environment
 * variables (PARLEY_*, plus DATABASE_URL) and CLI flags; defaults run the
 * whole product on one machine. docs/configuration.md is generated from it
 * (`npm run docs:config`) and a test checks they agree.
 */
import { z } from "zod";
import { DEFAULT_LIMITS } from "@parley/protocol";
import { MEDIA_SETTINGS } from "./media-settings.ts";

const bool = z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1");
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** `[HOST:]PORT` (an IPv6 host in brackets); the host defaults to 127.0.0.1 so nothing is exposed by accident. */
const listenAddress = z
  .string()
  .regex(/^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?\d{1,5}$/, "expected [HOST:]PORT, e.g. 9464 or 10.0.0.5:9464")
  .transform((v) => {
    const i = v.lastIndexOf(":");
    const host = i < 0 ? "127.0.0.1" : v.slice(0, i).replace(/^\[(.*)\]$/, "$1");
    return { host, port: Number(v.slice(i + 1)) };
  })
  .refine((a) => a.port <= 65535, "port above 65535");

/** Each setting: env var name, schema (with default), description, whether it is secret. */
export const SETTINGS = {
  host: { env: "PARLEY_HOST", schema: z.string().default("127.0.0.1"), doc: "Address to listen on." },
  port: { env: "PARLEY_PORT", schema: int(0, 65535).default(8080), doc: "HTTP/WebSocket port (0 picks a free one)." },
  tlsCert: {
    env: "PARLEY_TLS_CERT",
    schema: z.string().min(1).optional(),
    doc: "PEM certificate chain file: serve HTTPS and WSS on PARLEY_PORT (with PARLEY_TLS_KEY). Re-read on SIGHUP. Unset: plain HTTP (put a TLS proxy in front).",
  },
  tlsKey: {
    env: "PARLEY_TLS_KEY",
    schema: z.string().min(1).optional(),
    doc: "PEM private key file of PARLEY_TLS_CERT. Re-read on SIGHUP.",
  },
  publicUrl: { env: "PARLEY_PUBLIC_URL", schema: z.string().url().optional(), doc: "External URL, used in invite links. Defaults to http://HOST:PORT." },
  dataDir: { env: "PARLEY_DATA_DIR", schema: z.string().default("./.data"), doc: "Directory for the SQLite database, keys and blobs." },
  databaseUrl: {
    env: "DATABASE_URL",
    schema: z.string().optional(),
    secret: true,
    doc: "postgres://user:pass@host/db selects PostgreSQL; unset or sqlite:PATH selects SQLite in the data dir.",
  },
  sqliteSynchronous: {
    env: "PARLEY_SQLITE_SYNCHRONOUS",
    schema: z.enum(["FULL", "NORMAL"]).default("FULL"),
    doc: "SQLite fsync policy. FULL fsyncs every (group) commit so acknowledged events survive power loss.",
  },
  pgPoolSize: { env: "PARLEY_PG_POOL_SIZE", schema: int(1, 200).default(10), doc: "PostgreSQL connection pool size." },
  natsUrl: {
    env: "PARLEY_NATS_URL",
    alias: "NATS_URL",
    schema: z
      .string()
      .regex(/^(?:(?:nats|tls):\/\/[^\s,]+)(?:,(?:nats|tls):\/\/[^\s,]+)*$/, "expected nats://[USER:PASS@]HOST:PORT, several comma-separated")
      .optional(),
    secret: true,
    doc: "NATS server(s) of the bus between several Parley nodes on one database (nats://HOST:4222, comma-separated for a cluster); NATS_URL is read when it is unset. Unset: the in-process bus (one node).",
  },
  redisUrl: {
    env: "PARLEY_REDIS_URL",
    alias: "REDIS_URL",
    schema: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, "expected redis://[USER:PASS@]HOST:PORT[/DB] (rediss:// for TLS)")
      .optional(),
    secret: true,
    doc: "Redis shared by every node for rate limits and login throttling (redis://HOST:6379). Unset: each node counts in its own memory. While Redis is unreachable each node falls back to its own counters and /readyz shows `redis: false` (docs/operations.md).",
  },
  logLevel: {
    env: "PARLEY_LOG_LEVEL",
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    doc: "Log level (JSON lines on stdout).",
  },
  accessTokenTtl: { env: "PARLEY_ACCESS_TOKEN_TTL", schema: int(30, 3600).default(600), doc: "Access token lifetime, seconds." },
  refreshTokenTtl: { env: "PARLEY_REFRESH_TOKEN_TTL", schema: int(3600, 365 * 86400).default(30 * 86400), doc: "Refresh token lifetime (idle), seconds." },
  bodyLimit: { env: "PARLEY_BODY_LIMIT", schema: int(1024, 100 * 1048576).default(DEFAULT_LIMITS.bodyBytes), doc: "Largest HTTP request body, bytes." },
  mlsBundleLimit: {
    env: "PARLEY_MLS_BUNDLE_LIMIT",
    schema: int(1024, 256 * 1048576).default(16 * 1048576),
    doc: "Largest MLS commit bundle request body (POST /channels/:channelId/commits), bytes: a 1,000-member group's GroupInfo and Welcome are several MB.",
  },
  checkMlsFraming: {
    env: "PARLEY_CHECK_MLS_FRAMING",
    schema: bool.default(true),
    doc: "Refuse event content that is not an MLS PrivateMessage of the channel's group at the event's epoch, so a faulty client cannot store plaintext. Turn off only to benchmark the transport with opaque bytes.",
  },
  messageLimit: { env: "PARLEY_MESSAGE_LIMIT", schema: int(256, 1048576).default(DEFAULT_LIMITS.messageBytes), doc: "Largest event content, bytes." },
  rateLimitIp: { env: "PARLEY_RATE_LIMIT_IP", schema: int(1, 1_000_000).default(600), doc: "HTTP requests per minute per client address." },
  rateLimitUser: { env: "PARLEY_RATE_LIMIT_USER", schema: int(1, 1_000_000).default(1200), doc: "HTTP requests per minute per user." },
  wsFramesPerSecond: {
    env: "PARLEY_WS_FRAMES_PER_SECOND",
    schema: int(1, 100_000).default(50),
    doc: "Sustained frames per second a WebSocket client may send (burst: 4x).",
  },
  wsMaxBufferedBytes: {
    env: "PARLEY_WS_MAX_BUFFERED",
    schema: int(65536, 1 << 30).default(8 * 1048576),
    doc: "Most unsent output the server holds for one WebSocket connection (live frames, replay pages and frames queued during replay together); beyond it the connection is closed as a slow consumer (4430). Replay pauses at half of it (at most 1 MiB) until the client reads.",
  },
  wsMaxConnectionsPerDevice: {
    env: "PARLEY_WS_MAX_CONNECTIONS_PER_DEVICE",
    schema: int(1, 1_000_000).default(4),
    doc: "Most WebSocket connections one device may hold open on a node at once; one more is refused (error too_many_connections, close 4409). A device needs one, plus one while a dead connection is still timing out.",
  },
  wsMaxConnectionsPerUser: {
    env: "PARLEY_WS_MAX_CONNECTIONS_PER_USER",
    schema: int(1, 1_000_000).default(16),
    doc: "Most WebSocket connections one user may hold open on a node at once, over all their devices; one more is refused like the per-device cap.",
  },
  loginAttempts: { env: "PARLEY_LOGIN_ATTEMPTS", schema: int(1, 1000).default(10), doc: "Failed logins per account per 15 minutes before throttling." },
  metricsToken: {
    env: "PARLEY_METRICS_TOKEN",
    schema: z.string().min(16).max(256).optional(),
    secret: true,
    doc: "Bearer token /metrics requires (Authorization: Bearer TOKEN). Set alone, /metrics is served on the main listener to holders of the token. With neither this nor PARLEY_METRICS_LISTEN, /metrics is not served at all.",
  },
  metricsListen: {
    env: "PARLEY_METRICS_LISTEN",
    schema: listenAddress.optional(),
    doc: "Serve /metrics on a separate listener at [HOST:]PORT (HOST defaults to 127.0.0.1) and not on the main one, for a Prometheus on the same host or a private network. PARLEY_METRICS_TOKEN, when set, is required there too.",
  },
  trustProxy: { env: "PARLEY_TRUST_PROXY", schema: bool.default(false), doc: "Trust X-Forwarded-For from a reverse proxy." },
  shutdownGraceMs: { env: "PARLEY_SHUTDOWN_GRACE_MS", schema: int(0, 120_000).default(10_000), doc: "How long graceful shutdown waits for in-flight work." },
  setupToken: {
    env: "PARLEY_SETUP_TOKEN",
    schema: z.string().min(16).optional(),
    secret: true,
    doc: "Fix the first-run setup token (otherwise one is generated and printed).",
  },
  kms: {
    env: "PARLEY_KMS",
    schema: z.enum(["key-file", "pkcs11"]).default("key-file"),
    doc: "Where the key-encryption key (KEK) that wraps the data keys of every server secret lives: `key-file` (PARLEY_KMS_KEY_FILE) or `pkcs11`, an HSM through its PKCS#11 module (PARLEY_PKCS11_*; docs/operations.md, KMS and HSM).",
  },
  kmsKeyFile: {
    env: "PARLEY_KMS_KEY_FILE",
    schema: z.string().optional(),
    doc: "Key file of the `key-file` KMS (mode 0600): one 32-byte key (raw, or a line of hex or base64), or several lines after `parley keys rotate` (the first wraps, the others only unwrap). Defaults to DATA_DIR/master.key (created on first start); every node of a cluster needs the same file. With PARLEY_KMS=pkcs11 an existing file is still read, to open what it sealed before the switch.",
  },
  pkcs11Module: {
    env: "PARLEY_PKCS11_MODULE",
    schema: z.string().optional(),
    doc: "PARLEY_KMS=pkcs11: path of the HSM's PKCS#11 module (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so).",
  },
  pkcs11Token: {
    env: "PARLEY_PKCS11_TOKEN",
    schema: z.string().min(1).max(32).optional(),
    doc: "PARLEY_KMS=pkcs11: label of the token that holds the KEK (or give PARLEY_PKCS11_SLOT).",
  },
  pkcs11Slot: {
    env: "PARLEY_PKCS11_SLOT",
    schema: z.coerce.number().int().min(0).optional(),
    doc: "PARLEY_KMS=pkcs11: slot id of the token (decimal, as `softhsm2-util --show-slots` prints it), instead of PARLEY_PKCS11_TOKEN.",
  },
  pkcs11Pin: {
    env: "PARLEY_PKCS11_PIN",
    schema: z.string().min(1).optional(),
    secret: true,
    doc: "PARLEY_KMS=pkcs11: the token's user PIN (or PARLEY_PKCS11_PIN_FILE).",
  },
  pkcs11PinFile: {
    env: "PARLEY_PKCS11_PIN_FILE",
    schema: z.string().optional(),
    doc: "PARLEY_KMS=pkcs11: file holding the user PIN (trailing newline ignored), e.g. a mounted secret.",
  },
  pkcs11KeyLabel: {
    env: "PARLEY_PKCS11_KEY_LABEL",
    schema: z.string().min(1).max(64).default("parley-kek"),
    doc: "PARLEY_KMS=pkcs11: CKA_LABEL of the KEK objects (AES-256, sensitive, not extractable); the one with the highest CKA_ID wraps, older ones only unwrap.",
  },
  pkcs11CreateKey: {
    env: "PARLEY_PKCS11_CREATE_KEY",
    schema: bool.default(false),
    doc: "PARLEY_KMS=pkcs11: generate the KEK in the token at start when the token holds none with PARLEY_PKCS11_KEY_LABEL (first start). Off: the server refuses to start without it.",
  },
  keyRefreshSeconds: {
    env: "PARLEY_KEY_REFRESH_SECONDS",
    schema: int(1, 3600).default(30),
    doc: "How often a running node re-reads the server's signing keys and checks its cached data keys, so `parley keys rotate` and crypto-shredding reach it without a restart, seconds.",
  },
  keyPackageLowWater: {
    env: "PARLEY_KEYPACKAGE_LOW_WATER",
    schema: int(1, 1000).default(10),
    doc: "When a device has fewer one-time MLS KeyPackages than this left, it is told to upload more (user-stream item keypackages.low).",
  },
  fileLimit: { env: "PARLEY_FILE_LIMIT", schema: int(1, 2 ** 50).default(100 * 1048576), doc: "Largest attachment (ciphertext) a client may upload, bytes." },
  blobDir: { env: "PARLEY_BLOB_DIR", schema: z.string().optional(), doc: "Directory for attachment blobs. Defaults to <data dir>/blobs." },
  blobUrl: {
    env: "PARLEY_BLOB_URL",
    schema: z
      .string()
      .regex(/^s3:\/\/[^/?#]+/, "expected s3://[KEY:SECRET@]BUCKET[/PREFIX][?endpoint=URL&region=R&pathStyle=true]")
      .optional(),
    secret: true,
    doc: "Keep attachment blobs in an S3-compatible bucket instead of PARLEY_BLOB_DIR, so every node serves every file: s3://[KEY:SECRET@]BUCKET[/PREFIX][?endpoint=URL&region=R&pathStyle=true]. Without KEY:SECRET the AWS SDK's usual chain applies (AWS_ACCESS_KEY_ID, instance roles).",
  },
  webDir: { env: "PARLEY_WEB_DIR", schema: z.string().optional(), doc: "Directory of the built web app to serve at / (optional)." },
  retentionEveryMinutes: {
    env: "PARLEY_RETENTION_EVERY_MINUTES",
    schema: int(0, 10080).default(60),
    doc: "How often the retention run applies each org's retention policy, minutes (periods aligned to the clock: 60 runs at the top of every hour, 1440 at midnight UTC). 0: never on a schedule, only on demand (`parley compliance retention run`, the admin console's Run now).",
  },
  auditCheckpointEvery: {
    env: "PARLEY_AUDIT_CHECKPOINT_EVERY",
    schema: int(1, 1_000_000).default(1000),
    doc: "Sign an audit-log checkpoint (org, seq, head hash, time; Ed25519, the server's audit key) every this many entries of an org, in the entry's transaction (docs/audit.md).",
  },
  auditCheckpointSeconds: {
    env: "PARLEY_AUDIT_CHECKPOINT_SECONDS",
    schema: int(1, 86400).default(300),
    doc: "Also checkpoint an org's audit chain that moved but has not reached PARLEY_AUDIT_CHECKPOINT_EVERY entries once its last checkpoint is this old, seconds.",
  },
  auditCheckpointFile: {
    env: "PARLEY_AUDIT_CHECKPOINT_FILE",
    schema: z.string().optional(),
    doc: "Append every audit checkpoint to this JSON Lines file (ship it off the box: `parley audit verify --checkpoints FILE` checks the log against it). Unset: checkpoints stay in the database only.",
  },
  webauthnRpId: {
    env: "PARLEY_WEBAUTHN_RP_ID",
    schema: z.string().min(1).max(253).optional(),
    doc: "WebAuthn relying-party id for passkeys: the public URL's host name or a parent domain of it. Defaults to the host of PARLEY_PUBLIC_URL. Passkeys are bound to it: changing it makes every registered passkey unusable.",
  },
  webauthnOrigins: {
    env: "PARLEY_WEBAUTHN_ORIGINS",
    schema: z
      .string()
      .transform((v) =>
        v
          .split(",")
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().url()))
      .optional(),
    doc: "Comma-separated origins (https://chat.example.org) allowed to use passkeys, besides the public URL's own.",
  },
  smtpUrl: {
    env: "PARLEY_SMTP_URL",
    schema: z
      .string()
      .regex(/^smtps?:\/\/[^\s]+$/, "expected smtp://[USER:PASS@]HOST[:PORT] or smtps://…")
      .optional(),
    secret: true,
    doc: "Outgoing email (invites, password resets, security notices; never message content): smtp://[USER:PASS@]HOST[:PORT] (STARTTLS) or smtps://… (TLS from the first byte; port 465). Unset: Parley sends no email, and self-service password reset answers email_unavailable.",
  },
  smtpRequireTls: {
    env: "PARLEY_SMTP_REQUIRE_TLS",
    schema: bool.default(true),
    doc: "Refuse to send over an SMTP connection that did not upgrade to TLS (STARTTLS). Turn off only for a relay on the same host.",
  },
  smtpCaFile: {
    env: "PARLEY_SMTP_CA_FILE",
    schema: z.string().optional(),
    doc: "PEM file of the CA (or self-signed certificate) to trust for the SMTP server's certificate, besides the system's.",
  },
  mailFrom: {
    env: "PARLEY_MAIL_FROM",
    schema: z.string().min(3).max(320).optional(),
    doc: "From address of Parley's email, e.g. \"Parley <parley@example.org>\". Defaults to parley@ the public URL's host.",
  },
  ssoAllowHttpIssuers: {
    env: "PARLEY_SSO_ALLOW_HTTP_ISSUERS",
    schema: bool.default(false),
    doc: "Allow single sign-on providers (OIDC issuers) on plain http:// on any host, not only 127.0.0.1 and localhost. For a test IdP on a private network; never in production.",
  },
  // OpenTelemetry tracing (platform/tracing.ts): the standard OTEL_* names, so the usual
  // collector setups work unchanged; validated here like every other setting.
  otelEndpoint: {
    env: "OTEL_EXPORTER_OTLP_ENDPOINT",
    schema: z.string().url().optional(),
    doc: "Base URL of an OTLP/HTTP receiver (an OpenTelemetry Collector, e.g. http://otel-collector:4318): spans go to its /v1/traces. Unset, and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT unset too: tracing is off and costs nothing (docs/operations.md, Tracing).",
  },
  otelTracesEndpoint: {
    env: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    schema: z.string().url().optional(),
    doc: "Full URL spans are POSTed to, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT.",
  },
  otelProtocol: {
    env: "OTEL_EXPORTER_OTLP_PROTOCOL",
    schema: z.enum(["http/json", "http/protobuf"]).default("http/json"),
    doc: "OTLP encoding. Parley sends http/json; `http/protobuf` (OpenTelemetry's default) is accepted and sent as JSON too, with a warning at start (a collector takes both at the same URL). gRPC is not supported.",
  },
  otelHeaders: {
    env: "OTEL_EXPORTER_OTLP_HEADERS",
    schema: z.string().optional(),
    secret: true,
    doc: "Headers of every export request: `key=value` pairs separated by commas, values URL-encoded (e.g. a hosted backend's API key).",
  },
  otelServiceName: { env: "OTEL_SERVICE_NAME", schema: z.string().min(1).max(255).default("parley"), doc: "`service.name` of every span." },
  otelResourceAttributes: {
    env: "OTEL_RESOURCE_ATTRIBUTES",
    schema: z.string().optional(),
    doc: "More resource attributes of every span, `key=value` pairs separated by commas (e.g. `deployment.environment.name=prod`).",
  },
  otelTracesSampler: {
    env: "OTEL_TRACES_SAMPLER",
    schema: z
      .enum(["always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"])
      .default("parentbased_always_on"),
    doc: "Which traces are recorded. `parentbased_*` follow the sampled flag of an incoming `traceparent` header and apply the rest to new traces.",
  },
  otelTracesSamplerArg: {
    env: "OTEL_TRACES_SAMPLER_ARG",
    schema: z
      .string()
      .regex(/^(0(\.\d+)?|1(\.0*)?|\.\d+)$/, "expected a number from 0 to 1")
      .transform(Number)
      .optional(),
    doc: "The fraction of new traces the `traceidratio` samplers record, 0 to 1 (default 1).",
  },
  pushContact: {
    env: "PARLEY_PUSH_CONTACT",
    schema: z
      .string()
      .regex(/^(mailto:|https:\/\/)\S+$/, "expected a mailto: address or an https:// URL")
      .optional(),
    doc: "Who push services may contact about this server's Web Push traffic (the VAPID `sub` claim): a `mailto:` address or an `https://` URL. Defaults to PARLEY_PUBLIC_URL when that is https, else `mailto:postmaster@localhost`.",
  },
  pushMinIntervalSeconds: {
    env: "PARLEY_PUSH_MIN_INTERVAL_SECONDS",
    schema: int(0, 3600).default(10),
    doc: "At most one Web Push per subscription in this many seconds: a busy channel notifies a device once, not once per message.",
  },
  mentionEmailWindowMinutes: {
    env: "PARLEY_MENTION_EMAIL_WINDOW_MINUTES",
    schema: int(1, 10080).default(60),
    doc: "At most one email about unread mentions per user in this many minutes (users turn mention email on in their notification settings).",
  },
  callRingSeconds: {
    env: "PARLEY_CALL_RING_SECONDS",
    schema: int(1, 600).default(45),
    doc: "How long a call rings (a DM's peer, a group DM's members) before it ends as missed when nobody answered.",
  },
  callDisconnectSeconds: {
    env: "PARLEY_CALL_DISCONNECT_SECONDS",
    schema: int(1, 3600).default(30),
    doc: "How long a device in a call may be without any connection to the server (a network drop, a closed laptop, a crashed browser) before it is dropped from its calls; a device that reconnects within it stays.",
  },
  callRingsPerMinute: {
    env: "PARLEY_CALL_RINGS_PER_MINUTE",
    schema: int(1, 100_000).default(30),
    doc: "Calls one user may start (each may ring people) per minute; more are refused with call_ring_throttled.",
  },
  pushSubscriptionsPerDevice: {
    env: "PARLEY_PUSH_SUBSCRIPTIONS_PER_DEVICE",
    schema: int(1, 100).default(5),
    doc: "Most Web Push subscriptions one device may register.",
  },
  pushAllowLoopback: {
    env: "PARLEY_PUSH_ALLOW_LOOPBACK",
    schema: bool.default(false),
    doc: "Test only: also accept push endpoints on http://127.0.0.1 (a local push receiver). Never set it in production: push endpoints must be https.",
  },
  otelTracesExporter: {
    env: "OTEL_TRACES_EXPORTER",
    schema: z.enum(["otlp", "none"]).default("otlp"),
    doc: "`none` turns tracing off whatever the endpoint; `otlp` is the only exporter.",
  },
  otelSdkDisabled: {
    env: "OTEL_SDK_DISABLED",
    schema: bool.default(false),
    doc: "`true` turns tracing off whatever the endpoint (OpenTelemetry's standard off switch).",
  },
  ...MEDIA_SETTINGS,
} as const;

type Settings = typeof SETTINGS;
/** Validated server configuration. */
export type Config = { [K in keyof Settings]: z.output<Settings[K]["schema"]> };
/** Overrides, e.g. from CLI flags or tests. */
export type ConfigInput = Partial<{ [K in keyof Settings]: z.input<Settings[K]["schema"]> | number | boolean }>;

/** Thrown at boot when a setting is invalid; the message names the variable. */
export class ConfigError extends Error {}

/**
 * Build the config from overrides, then the environment, then defaults.
 * Fails fast with a message naming each bad variable.
 */
export function loadConfig(overrides: ConfigInput = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  const fromEnv = (name: string) => (env[name] === "" ? undefined : env[name]);
  for (const [key, s] of Object.entries(SETTINGS)) {
    const raw =
      key in overrides && (overrides as Record<string, unknown>)[key] !== undefined
        ? (overrides as Record<string, unknown>)[key]
        : (fromEnv(s.env) ?? ("alias" in s ? fromEnv(s.alias) : undefined));
    const value = typeof raw === "boolean" ? String(raw) : raw;
    const r = (s.schema as z.ZodType).safeParse(value);
    if (r.success) out[key] = r.data;
    else problems.push(`${s.env}: ${r.error.issues.map((i) => i.message).join("; ")}`);
  }
  if (out.turnServer && !out.turnSecret) problems.push("PARLEY_TURN_SECRET: required with PARLEY_TURN_SERVER (coturn's static-auth-secret)");
  if (problems.length) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  return out as Config;
}

/** Config as safe to log: secrets replaced. */
export function redactedConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const [key, s] of Object.entries(SETTINGS)) {
    if ("secret" in s && s.secret && out[key] !== undefined) out[key] = "[redacted]";
  }
  return out;
}
