/**
 * TLS in the server itself (PARLEY_TLS_CERT / PARLEY_TLS_KEY), for setups without a proxy
 * in front: HTTPS and WSS on the one port. The certificate and key are read at start and
 * again on `reload()` (`parley start` calls it on SIGHUP), so a renewed certificate (e.g.
 * by certbot) is served without a restart; a reload that fails keeps the old pair.
 */
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import tls from "node:tls";
import type { Config } from "../config/schema.ts";
import { ConfigError } from "../config/schema.ts";

export interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * The TLS files configured, or undefined for plain HTTP; both or neither must be set, and they
 * must be readable and match (checked here, before the server opens anything).
 */
export function tlsFiles(config: Pick<Config, "tlsCert" | "tlsKey">): TlsFiles | undefined {
  if (!config.tlsCert && !config.tlsKey) return undefined;
  if (!config.tlsCert || !config.tlsKey)
    throw new ConfigError("invalid configuration:\n  PARLEY_TLS_CERT and PARLEY_TLS_KEY go together: set both (PEM files) or neither");
  const files = { cert: config.tlsCert, key: config.tlsKey };
  secureOptions(files);
  return files;
}

/** Reads and checks the pair (a key that does not match the certificate fails here). */
function secureOptions(files: TlsFiles): tls.SecureContextOptions {
  let options: tls.SecureContextOptions;
  try {
    options = { cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) };
  } catch (err) {
    throw new ConfigError(`cannot read the TLS certificate or key: ${(err as Error).message} (PARLEY_TLS_CERT, PARLEY_TLS_KEY)`);
  }
  try {
    tls.createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`the TLS certificate and key do not make a usable pair: ${(err as Error).message} (PARLEY_TLS_CERT, PARLEY_TLS_KEY)`);
  }
  return options;
}

/** How long an idle keep-alive connection stays open (Fastify's default; above the usual 60 s of proxies). */
const KEEP_ALIVE_MS = 72_000;

/**
 * A Fastify `serverFactory`: plain HTTP, or HTTPS with the configured pair (TLS 1.2 at least).
 * Fastify types its raw server as http.Server; the https one serves the same requests.
 */
export function serverFactory(files: TlsFiles | undefined): (handler: http.RequestListener) => http.Server {
  return (handler) => {
    const server = files
      ? (https.createServer({ ...secureOptions(files), minVersion: "TLSv1.2" }, handler) as unknown as http.Server)
      : http.createServer(handler);
    // Fastify sets this only on servers it creates itself. Node's 5 s default is shorter than the
    // idle timeout of reverse proxies and HTTP clients: they would reuse a connection the server is
    // closing and see a reset (a proxy's 502).
    server.keepAliveTimeout = KEEP_ALIVE_MS;
    return server;
  };
}

/** Re-reads the pair and serves it to new connections; throws (keeping the old pair) when it is unusable. */
export function reloadTls(server: http.Server, files: TlsFiles): void {
  (server as unknown as https.Server).setSecureContext(secureOptions(files));
}
