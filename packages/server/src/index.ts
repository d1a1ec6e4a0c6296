/** @parley/server — the Parley server. */
export { createServer, type ParleyServer, type CreateServerOptions } from "./server.ts";
export { loadConfig, SETTINGS, ConfigError, type Config, type ConfigInput } from "./config/schema.ts";
export { openStorage, type Storage } from "./platform/db/index.ts";
