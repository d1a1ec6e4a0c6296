/** What the gateway's parts share: deps, the registry and a few primitives. */
import type { ServerFrame } from "@parley/protocol";
import type { Deps } from "../context.ts";
import type { Logger } from "../platform/log.ts";
import type { Conn } from "./connection.ts";
import type { FanoutTarget, Registry } from "./registry.ts";
import type { PresenceState } from "./presence.ts";

export interface GatewayCore {
  deps: Deps;
  /** Child logger {module: "gateway"}; every line also carries `conn`. */
  log: Logger;
  registry: Registry;
  presence: PresenceState;
  /** Every open socket, authenticated or not. */
  all: Set<Conn>;
  fan: FanoutTarget;
  heartbeatMs: number;
  /** Serialise and send one frame to one connection (not for fan-out). */
  send(c: Conn, frame: ServerFrame): void;
  /** Close with a code (and stop writing to it at once); `reason` labels the metric and log. */
  close(c: Conn, code: number, reason: string): void;
}
