/**
 * Settings of the call media servers (issue 14): coturn (TURN, the REST API shared-secret
 * scheme) and Janus (the SFU of group calls). Part of the one schema (schema.ts spreads them in);
 * docs/calls.md explains the deployment.
 */
import { z } from "zod";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** `HOST:PORT` with a required host (a public name or address clients reach). */
const hostPort = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, "expected HOST:PORT, e.g. turn.example.org:3478")
  .refine((v) => Number(v.slice(v.lastIndexOf(":") + 1)) <= 65535, "port above 65535");

export const MEDIA_SETTINGS = {
  turnServer: {
    env: "PARLEY_TURN_SERVER",
    schema: hostPort.optional(),
    doc: "The coturn server clients reach for STUN and TURN over UDP and TCP (HOST:PORT, e.g. turn.example.org:3478). Unset: no STUN/TURN servers are handed out (calls work only where peers reach each other directly).",
  },
  turnTlsServer: {
    env: "PARLEY_TURN_TLS_SERVER",
    schema: hostPort.optional(),
    doc: "coturn's TURN-over-TLS listener (HOST:PORT, usually port 443: it passes firewalls that allow only HTTPS), handed out as a `turns:` URL. Unset: none.",
  },
  turnSecret: {
    env: "PARLEY_TURN_SECRET",
    schema: z.string().min(16, "at least 16 characters").optional(),
    secret: true,
    doc: "The shared secret of coturn's REST API scheme (coturn's `static-auth-secret`, with `use-auth-secret`): Parley signs time-limited TURN credentials with it. Required with PARLEY_TURN_SERVER.",
  },
  turnCredentialTtl: {
    env: "PARLEY_TURN_CREDENTIAL_TTL",
    schema: int(60, 7 * 86400).default(3600),
    doc: "Lifetime of a TURN credential, seconds. coturn refuses a new allocation with an expired one (a call in progress keeps its allocation; clients fetch fresh credentials for ICE restarts).",
  },
  turnCredentialsPerHour: {
    env: "PARLEY_TURN_CREDENTIALS_PER_HOUR",
    schema: int(1, 10000).default(120),
    doc: "Most TURN credentials one device may fetch per hour.",
  },
  turnCli: {
    env: "PARLEY_TURN_CLI",
    schema: hostPort.optional(),
    doc: "coturn's telnet CLI (HOST:PORT, its `cli-ip`/`cli-port`, never exposed beyond the host or pod network): read for the `parley_turn_allocations` gauge. Unset: that gauge is absent.",
  },
  turnCliPassword: {
    env: "PARLEY_TURN_CLI_PASSWORD",
    schema: z.string().min(1).optional(),
    secret: true,
    doc: "coturn's `cli-password` (with PARLEY_TURN_CLI).",
  },
  janusUrl: {
    env: "PARLEY_JANUS_URL",
    schema: z
      .string()
      .regex(/^wss?:\/\/\S+$/, "expected ws://HOST:PORT (Janus's WebSocket transport)")
      .optional(),
    doc: "Janus's API over WebSocket (ws://127.0.0.1:8188), the SFU of group calls; Parley is its only client. Unset: no group calls through the SFU.",
  },
  janusApiSecret: {
    env: "PARLEY_JANUS_API_SECRET",
    schema: z.string().min(1).optional(),
    secret: true,
    doc: "Janus's `api_secret` (janus.jcfg).",
  },
  janusAdminKey: {
    env: "PARLEY_JANUS_ADMIN_KEY",
    schema: z.string().min(1).optional(),
    secret: true,
    doc: "The VideoRoom plugin's `admin_key`: needed to create rooms.",
  },
} as const;
