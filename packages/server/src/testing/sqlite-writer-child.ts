/**
 * A second process writing to a test SQLite file: autocommit inserts into `writer_rows` for
 * the given milliseconds, as a CLI or a retention run beside the server would
 * (platform/db/sqlite-writers.test.ts). argv: file, ms. Prints "ready", then the rows it wrote.
 */
import { sql } from "kysely";
import { openStorage } from "../platform/db/index.ts";

const [file, ms] = process.argv.slice(2) as [string, string];
const storage = openStorage({ url: `sqlite:${file}`, dataDir: "" });
process.stdout.write("ready\n");
const until = Date.now() + Number(ms);
let n = 0;
while (Date.now() < until) {
  await sql`INSERT INTO writer_rows (who, n) VALUES ('child', ${n})`.execute(storage.db);
  n++;
}
await storage.close();
process.stdout.write(`wrote ${n}\n`);
