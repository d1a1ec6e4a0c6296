/**
 * The bus outbox on real SQLite and PostgreSQL: a command's bus messages are
 * rows of its own transaction (a rolled-back command announces nothing, a
 * committed one is published once, right after its commit, and leaves no row);
 * rows a process left behind (here: the CLI's offline admin, which leaves its
 * messages to the server) are published by the sweep of whichever server gets
 * them first, each exactly once across two servers on the same database.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { runCommand } from "../../command.ts";
import { composeDeps, type Composed } from "../../compose.ts";
import { loadConfig } from "../../config/schema.ts";
import { createTestDatabase, DIALECTS, startTestServer, type TestDatabase } from "../../testing/harness.ts";
import { bootstrapOrg } from "../../testing/factories.ts";
import { appendEvents } from "../../modules/timeline/append.ts";
import { claimSeqs } from "../../modules/timeline/sequence.ts";
import type { Event } from "@parley/protocol";
import { waitUntil } from "../../testing/jobs.ts";
import { createLogger } from "../log.ts";

const log = createLogger("silent");

function compose(db: TestDatabase, relay: "deliver" | "leave"): Promise<Composed> {
  return composeDeps(loadConfig({ databaseUrl: db.url, dataDir: db.dataDir, logLevel: "silent" }, {}), { log, relay });
}

/** Names of "jobs.enqueued" messages the process's bus delivers. */
function listen(c: Composed): string[] {
  const seen: string[] = [];
  c.deps.bus.subscribe("jobs.enqueued", (m) => seen.push(m.name));
  return seen;
}

const rows = async (c: Composed) =>
  Number(
    (
      await c.deps.db
        .selectFrom("bus_outbox")
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );
const tick = () => new Promise((r) => setTimeout(r, 20));

for (const dialect of DIALECTS) {
  test(`a command's bus messages are published after its commit, once, in order; a rollback publishes none (${dialect})`, { timeout: 30_000 }, async () => {
    const db = await createTestDatabase(dialect);
    const c = await compose(db, "deliver");
    try {
      const seen = listen(c);
      await assert.rejects(
        runCommand(c.deps, null, "t.rolledBack", async (_tx, fx) => {
          fx.emit("jobs.enqueued", { name: "never" });
          throw new Error("rollback");
        }),
        /rollback/,
      );
      let inside = -1;
      await runCommand(c.deps, null, "t.committed", async (tx, fx) => {
        for (const name of ["a", "b", "c"]) fx.emit("jobs.enqueued", { name });
        await tx.selectFrom("orgs").select("id").execute();
        inside = seen.length;
      });
      assert.equal(inside, 0, "nothing is published inside the transaction");
      await waitUntil(async () => seen.length === 3, 5_000, "published after the commit");
      await waitUntil(async () => (await rows(c)) === 0, 5_000, "the published rows are dropped");
      await tick();
      assert.deepEqual(seen, ["a", "b", "c"]);
      assert.equal(await c.deps.relay.sweep(0), 0, "nothing left to sweep");
    } finally {
      await c.close();
      await db.drop();
    }
  });

  if (dialect === "sqlite") {
    test("SQLite: the next write deletes the rows published before it in its own transaction (no commit of their own); a rollback leaves them", async () => {
      const db = await createTestDatabase(dialect);
      const c = await compose(db, "deliver");
      try {
        const seen = listen(c);
        const ids = async () => (await c.deps.db.selectFrom("bus_outbox").select("id").orderBy("id").execute()).map((r) => Number(r.id));
        const emit = (name: string) =>
          runCommand(c.deps, null, `t.${name}`, async (_tx, fx) => {
            fx.emit("jobs.enqueued", { name });
          });
        await emit("first");
        const [first] = await ids();
        assert.ok(first !== undefined, "the first row stays for now (published; the drop waits for a write)");
        // A transaction whose outbox write deleted the published row, then rolled back: the row is back.
        await assert.rejects(
          c.deps.db.transaction().execute(async (tx) => {
            await c.deps.relay.write(tx, [{ topic: "jobs.enqueued", msg: { name: "rolled back" } }], c.deps.now());
            assert.deepEqual((await tx.selectFrom("bus_outbox").select("id").execute()).length, 1, "inside: the first row deleted, this one written");
            throw new Error("rollback");
          }),
          /rollback/,
        );
        assert.deepEqual(await ids(), [first], "after the rollback the first row is there again, and stays due for deletion");
        await emit("second");
        const after = await ids();
        assert.equal(after.length, 1, "the second write deleted the first's row");
        assert.ok(after[0]! > first!);
        await waitUntil(async () => (await rows(c)) === 0, 5_000, "with no more writes, the last row is dropped on its own");
        await waitUntil(async () => seen.length === 2, 5_000, "published once each");
        assert.deepEqual(seen, ["first", "second"]);
        assert.equal(await c.deps.relay.sweep(0), 0, "nothing left to sweep");
      } finally {
        await c.close();
        await db.drop();
      }
    });
  }

  test(`messages left in the outbox are swept up by a server, each exactly once across two (${dialect})`, { timeout: 60_000 }, async () => {
    const db = await createTestDatabase(dialect);
    const cli = await compose(db, "leave");
    const one = await compose(db, "deliver");
    const two = await compose(db, "deliver");
    try {
      const [seenCli, seenOne, seenTwo] = [listen(cli), listen(one), listen(two)];
      const names = Array.from({ length: 1_200 }, (_, i) => `m${i}`);
      // 1,200 committed messages whose process publishes nothing (what a crash after COMMIT leaves too).
      for (let i = 0; i < names.length; i += 3) {
        await runCommand(cli.deps, null, "t.offline", async (_tx, fx) => {
          for (const name of names.slice(i, i + 3)) fx.emit("jobs.enqueued", { name });
        });
      }
      await tick();
      assert.deepEqual(seenCli, [], "the offline process publishes nothing");
      assert.equal(await rows(one), names.length);
      assert.equal(await one.deps.relay.sweep(10 * 60_000), 0, "rows younger than the stale age are left to their own process");
      const [n1, n2] = await Promise.all([one.deps.relay.sweep(0), two.deps.relay.sweep(0)]);
      assert.equal(n1 + n2, names.length);
      await tick();
      assert.deepEqual([...seenOne, ...seenTwo].sort(), [...names].sort(), "each message published once, by one of the two");
      // Each sweeper publishes in commit order.
      for (const seen of [seenOne, seenTwo]) {
        const order = seen.map((n) => Number(n.slice(1)));
        assert.deepEqual(
          order,
          [...order].sort((a, b) => a - b),
          "in commit order",
        );
      }
      assert.equal(await rows(one), 0);
    } finally {
      await Promise.all([cli.close(), one.close(), two.close()]);
      await db.drop();
    }
  });
}

for (const dialect of DIALECTS) {
  test(
    `channel events are kept in the outbox as one reference per run and swept up whole from their events rows (${dialect})`,
    { timeout: 60_000 },
    async () => {
      const s = await startTestServer({ dialect });
      const cli = await compose(s.database, "leave");
      try {
        const owner = await bootstrapOrg(s);
        const ch = await owner.api("POST", "/channels", { kind: "public", name: "outboxed" });
        assert.equal(ch.status, 201);
        const channelId = (ch.body as { id: string }).id;
        const seen: Event[] = [];
        s.deps.bus.subscribe("channel.event", (m) => {
          if (m.event.channelId === channelId) seen.push(m.event);
        });
        await waitUntil(async () => (await rows(cli)) === 0, 5_000, "the server dropped the rows of its own commands");
        const content = Buffer.alloc(4096, 7);
        // A writer in a process that publishes nothing (the offline admin; or a server killed after COMMIT):
        // three events in one command, consecutive seqs of one channel.
        const written = await runCommand(cli.deps, null, "t.append", async (tx, fx) => {
          const claim = await claimSeqs(tx, { channelId, count: 3 });
          assert.ok(claim);
          return appendEvents(
            tx,
            fx,
            [0, 1, 2].map((k) => ({
              orgId: owner.org.id,
              row: {
                channel_id: channelId,
                seq: claim.first + k,
                id: `ev_outboxtest${k}`,
                client_id: `outbox-test-${k}`,
                sender_id: owner.user.id,
                sender_device_id: owner.tokens.deviceId,
                kind: "message" as const,
                epoch: 0,
                generation: 0,
                content,
                thread_root: null,
                target: null,
                mentions: "[]",
                created_at: Date.now(),
                files: "[]",
              },
            })),
          );
        });
        const outboxRows = await s.deps.db.selectFrom("bus_outbox").select(["topic", "payload"]).execute();
        assert.equal(outboxRows.length, 1, "a run of one channel's events is one row");
        assert.equal(outboxRows[0]!.topic, "channel.event");
        assert.ok(outboxRows[0]!.payload.length < 200, `a reference, not the ciphertext again (${outboxRows[0]!.payload.length} bytes)`);
        assert.equal(await s.deps.relay.sweep(0), 1);
        await waitUntil(async () => seen.length === 3, 5_000, "the swept events reach the server's bus");
        assert.deepEqual(seen, written, "the whole events, content included, in seq order");
        assert.equal(seen[0]!.content, content.toString("base64"));
        // A row written before runs were folded (a single seq) still expands.
        await s.deps.db
          .insertInto("bus_outbox")
          .values({ topic: "channel.event", payload: JSON.stringify([owner.org.id, channelId, written[1]!.seq]), created_at: 0 })
          .execute();
        assert.equal(await s.deps.relay.sweep(0), 1);
        await waitUntil(async () => seen.length === 4, 5_000, "the legacy reference is published");
        assert.deepEqual(seen[3], written[1]);
      } finally {
        await cli.close();
        await s.stop();
      }
    },
  );
}
