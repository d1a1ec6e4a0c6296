/**
 * composeDeps(): the one place that builds {@link Deps} — the platform seams
 * (storage, bus, log, metrics, limits, KMS, token keys, blobs) — from a
 * config. The server (`createServer`) and the CLI's offline admin both use it,
 * so they cannot drift apart.
 */
import crypto from "node:crypto";
import type { Config } from "./config/schema.ts";
import type { Deps } from "./context.ts";
import { openBlobStore } from "./platform/blobs/index.ts";
import { memoryBus } from "./platform/bus/memory.ts";
import { natsBus } from "./platform/bus/nats.ts";
import type { Bus } from "./platform/bus/bus.ts";
import { busKeyOf } from "./core/bus-keys.ts";
import { createBusRelay } from "./platform/bus/outbox.ts";
import { openStorage } from "./platform/db/index.ts";
import { createKms, type Kms } from "./platform/kms/index.ts";
import { createLimits } from "./platform/limits/index.ts";
import { createMailer } from "./platform/mail/index.ts";
import { createPublicUrl } from "./platform/public-url.ts";
import type { Logger } from "./platform/log.ts";
import { createMetrics } from "./platform/metrics.ts";
import { registerTurnAllocationsGauge, turnCliOf } from "./platform/turn/allocations.ts";
import { createJanusSfu } from "./platform/sfu/janus.ts";
import { loadRoomSecrets } from "./platform/sfu/room-key.ts";
import { loadTokenKeys } from "./modules/accounts/tokens.ts";
import { closeEventWriter } from "./modules/messages/event-writer.ts";
import { channelEventOutbox } from "./modules/timeline/events.ts";

export interface ComposeOptions {
  log: Logger;
  /** Names this process (presence across nodes, job leases); random by default. */
  nodeId?: string;
  /** PostgreSQL pool size (default: the config's). */
  pgPoolSize?: number;
  /**
   * What happens to the bus messages of committed commands: `deliver` (a server, the default)
   * publishes them; `leave` (the CLI's offline admin) leaves them for a running server's relay.
   */
  relay?: "deliver" | "leave";
  /** Report migration progress. */
  onMigration?: (name: string) => void;
}

export interface Composed {
  deps: Deps;
  /** Flush queued writes, close the bus and the database. */
  close(): Promise<void>;
}

/** Open the database (migrating it) and build every platform seam. */
export async function composeDeps(config: Config, opts: ComposeOptions): Promise<Composed> {
  const { log } = opts;
  const storage = openStorage({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    sqliteSynchronous: config.sqliteSynchronous,
    pgPoolSize: opts.pgPoolSize ?? config.pgPoolSize,
    onPoolError: (err) => log.warn({ err: err.message }, "postgres dropped an idle connection; the pool reconnects"),
  });
  let kms: Kms | undefined;
  let openedBus: Bus | undefined;
  try {
    await storage.migrate(opts.onMigration);
    const now = () => Date.now();
    kms = await createKms(config, storage.db, now, log);
    // Audit checkpoints are signed inside the appending transaction; on SQLite that
    // transaction holds the only connection, so the key must be loaded before any.
    await kms.key("audit");
    const metrics = createMetrics();
    if (config.turnCli && config.turnCliPassword) {
      registerTurnAllocationsGauge(metrics.registry, turnCliOf(config.turnCli, config.turnCliPassword), (err) =>
        log.warn({ err: err.message }, "coturn's CLI did not answer: parley_turn_allocations is NaN"),
      );
    }
    const nodeId = opts.nodeId ?? crypto.randomBytes(6).toString("hex");
    const onBusError = (err: unknown, topic: string) => log.error({ err, topic }, "bus subscriber failed");
    // PARLEY_NATS_URL: several nodes on one database deliver to each other's clients; else one process.
    // The CLI's offline admin publishes nothing (its rows wait for a server's sweep): no NATS for it.
    const nats = opts.relay !== "leave" ? config.natsUrl : undefined;
    const bus = (openedBus = nats
      ? await natsBus({ url: nats, keyOf: busKeyOf, log, metrics, name: nodeId, onError: onBusError })
      : memoryBus(onBusError, busKeyOf));
    if (!nats) metrics.busConnected.set(1);
    const relay = createBusRelay({
      db: storage.db,
      dialect: storage.dialect,
      bus,
      log,
      metrics,
      now,
      mode: opts.relay ?? "deliver",
      codecs: { "channel.event": channelEventOutbox },
    });
    const publicUrl = createPublicUrl(config);
    const deps: Deps = {
      config,
      storage,
      db: storage.db,
      bus,
      relay,
      log,
      metrics,
      limits: createLimits(config),
      kms,
      keys: await loadTokenKeys(storage.db, now(), kms, config.keyRefreshSeconds * 1000),
      nodeId,
      now,
      blobs: openBlobStore(config),
      publicUrl,
      mail: createMailer(config, publicUrl),
    };
    if (config.janusUrl && opts.relay !== "leave") {
      deps.sfu = await createJanusSfu({
        url: config.janusUrl,
        apiSecret: config.janusApiSecret,
        adminKey: config.janusAdminKey,
        roomSecret: await loadRoomSecrets(storage.db, kms),
        log,
        registry: metrics.registry,
      });
    }
    return {
      deps,
      async close() {
        await deps.sfu?.close();
        await closeEventWriter(deps);
        deps.mail.close();
        await deps.relay.close();
        await deps.bus.close();
        await deps.limits.close();
        await storage.close();
        deps.kms.close();
        deps.blobs.close?.();
      },
    };
  } catch (err) {
    await openedBus?.close().catch(() => {});
    await storage.close().catch(() => {});
    kms?.close();
    throw err;
  }
}
