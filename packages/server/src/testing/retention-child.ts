/**
 * A separate process that runs one org's retention over a test database, one event per
 * batch with a pause after each (at least 7.5 s for the tests' 150 events), so a test can
 * kill -9 it midway, or place a hold while it runs, even when the machine is loaded
 * (compliance/retention-resume.test.ts).
 * argv: dataDir, databaseUrl ('' for SQLite), orgId.
 */
import { composeDeps } from "../compose.ts";
import { loadConfig } from "../config/schema.ts";
import { createLogger } from "../platform/log.ts";
import { runRetention } from "../modules/compliance/retention-run.ts";

const [dataDir, databaseUrl, orgId] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({ dataDir, databaseUrl: databaseUrl || undefined, logLevel: "silent" }, {});
const { deps, close } = await composeDeps(config, { log: createLogger("silent"), nodeId: "retention-child", relay: "leave" });
process.stdout.write("ready\n");
await runRetention(deps, orgId, { batch: 1, afterBatch: () => new Promise((r) => setTimeout(r, 50)) });
await close();
