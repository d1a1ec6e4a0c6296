/** The SQLite statement cache: one prepare per SQL text, bounded, never hands out a statement mid-iteration. */
import { test } from "node:test";
import assert from "node:assert/strict";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { cachedStatements } from "./statement-cache.ts";

function counted(): { raw: BetterSqlite3.Database; prepares: () => number } {
  const raw = new BetterSqlite3(":memory:");
  const prepare = raw.prepare.bind(raw);
  let n = 0;
  raw.prepare = ((source: string) => {
    n++;
    return prepare(source);
  }) as typeof raw.prepare;
  return { raw, prepares: () => n };
}

test("statement cache: a SQL text is prepared once, the least recently used is dropped beyond the bound", () => {
  const { raw, prepares } = counted();
  const db = cachedStatements(raw, 2);
  const a = db.prepare("select 1 as x");
  assert.equal(db.prepare("select 1 as x"), a);
  assert.equal(prepares(), 1);
  db.prepare("select 2 as x");
  db.prepare("select 1 as x"); // most recently used again
  db.prepare("select 3 as x"); // evicts "select 2"
  assert.equal(prepares(), 3);
  assert.equal(db.prepare("select 1 as x"), a);
  db.prepare("select 2 as x");
  assert.equal(prepares(), 4, "the evicted text is prepared again");
  db.close();
});

test("statement cache: a statement still iterating is not handed out again", () => {
  const { raw, prepares } = counted();
  const db = cachedStatements(raw);
  raw.exec("create table t (n integer not null); insert into t values (1), (2), (3)");
  const first = db.prepare("select n from t order by n");
  const seen: number[] = [];
  for (const row of first.iterate([]) as Iterable<{ n: number }>) {
    seen.push(row.n);
    const again = db.prepare("select n from t order by n");
    assert.notEqual(again, first, "a busy statement is not reused");
    assert.deepEqual(again.all([]), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(db.prepare("select n from t order by n"), first, "reused once it finished");
  assert.ok(prepares() >= 4);
  db.close();
});

test("statement cache: Kysely queries run through it, each SQL text prepared once", async () => {
  const { raw, prepares } = counted();
  const db = new Kysely<{ t: { n: number } }>({ dialect: new SqliteDialect({ database: cachedStatements(raw) }) });
  await sql`create table t (n integer not null)`.execute(db);
  for (let i = 1; i <= 5; i++) await db.insertInto("t").values({ n: i }).execute();
  const before = prepares();
  for (let i = 0; i < 3; i++) assert.deepEqual(await db.selectFrom("t").select("n").where("n", ">", 3).execute(), [{ n: 4 }, { n: 5 }]);
  assert.equal(prepares(), before + 1);
  const streamed: number[] = [];
  for await (const row of db.selectFrom("t").select("n").where("n", ">", 3).stream()) streamed.push(row.n);
  assert.deepEqual(streamed, [4, 5]);
  await db.destroy();
});
