/**
 * A second process writing to a test SQLite file, as a CLI or a retention run beside the
 * server would (platform/db/sqlite-writers.test.ts): autocommit inserts into `writer_rows`
 * for the given milliseconds, a timer tick apart. (With no pause it would hold the write lock
 * nearly all the time, and SQLite's busy handler, which polls, would seldom find it free.)
 * argv: file, ms. Prints "ready", then the rows it wrote.
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
  await new Promise((r) => setTimeout(r, 1));
}
await storage.close();
process.stdout.write(`wrote ${n}\n`);
