/**
 * Correct under concurrency with clients hammering different nodes at once (issue 12): three
 * Parley nodes on ONE PostgreSQL database, requests spread over them in parallel. Sequence
 * allocation stays gap-free and idempotent per clientId, a one-time KeyPackage is handed out
 * once, the first valid MLS commit of an epoch wins (the others get stale_epoch and change
 * nothing), and an invite's use limit holds. (Job claiming across processes is proven by
 * packages/server/src/platform/jobs/processes.test.ts: two runner processes, 200 jobs, each once.)
 */
import test from "node:test";
import assert from "node:assert/strict";
import { createDeviceIdentity, generateKeyPackages, selfUpdate } from "@parley/crypto";
import { createTestDatabase, startTestServer, type TestServer, type TestDatabase } from "@parley/server/testing/harness";
import { asTestUser, bootstrapOrg, call, makeUser, TEST_PASSWORD, type TestUser } from "@parley/server/testing/factories";
import { addUsers, b64, bundleBody, groupOf, initChannel, joinFromStream, mlsClient } from "@parley/server/testing/mls-clients";

async function threeNodes(t: import("node:test").TestContext): Promise<{ nodes: TestServer[]; database: TestDatabase }> {
  const database = await createTestDatabase("postgres");
  const nodes: TestServer[] = [];
  t.after(async () => {
    for (const n of nodes) await n.close();
    await database.drop();
  });
  for (let i = 0; i < 3; i++) nodes.push(await startTestServer({ database }));
  return { nodes, database };
}

/** The same user's session, calling node `n`. */
const on = (n: TestServer, u: TestUser): TestUser => asTestUser(n, u.tokens, u.password);

test("three nodes, one database: gap-free sequences, one event per clientId across nodes", { timeout: 120_000 }, async (t) => {
  const { nodes } = await threeNodes(t);
  const owner = await bootstrapOrg(nodes[0]!);
  const member = await makeUser(nodes[0]!, owner);
  const ch = (await owner.api("POST", "/channels", { kind: "public", name: "busy" })).body.id as string;
  assert.equal((await on(nodes[1]!, member).api("POST", `/channels/${ch}/join`)).status, 200);
  const sends = Array.from({ length: 150 }, (_, i) => {
    const who = on(nodes[i % 3]!, i % 2 ? owner : member);
    return who.api("POST", `/channels/${ch}/events`, {
      clientId: `client-${String(i).padStart(4, "0")}`,
      kind: "message",
      content: b64(new Uint8Array([i % 256])),
    });
  });
  // 20 clientIds each sent to all three nodes at once (a client retrying through another node).
  const resends = Array.from({ length: 20 }, (_, i) =>
    Promise.all(
      nodes.map((n) =>
        on(n, owner).api("POST", `/channels/${ch}/events`, {
          clientId: `resend-${String(i).padStart(4, "0")}`,
          kind: "message",
          content: b64(new Uint8Array([1])),
        }),
      ),
    ),
  );
  const [sent, resent] = await Promise.all([Promise.all(sends), Promise.all(resends)]);
  for (const r of sent) assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const trio of resent) {
    for (const r of trio) assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(new Set(trio.map((r) => r.body.event.seq)).size, 1, "one event for a clientId sent through three nodes");
  }
  const events: Array<{ seq: number; clientId: string }> = [];
  for (let after = 0; ;) {
    const page = (await on(nodes[2]!, member).api("GET", `/channels/${ch}/events?after=${after}&limit=100`)).body.events as Array<{
      seq: number;
      clientId: string;
    }>;
    if (!page.length) break;
    events.push(...page);
    after = page.at(-1)!.seq;
  }
  assert.equal(events.length, 170);
  assert.deepEqual(
    events.map((e) => e.seq),
    Array.from({ length: 170 }, (_, i) => i + 1),
    "seqs 1..170, no gap, no duplicate",
  );
  assert.equal(new Set(events.map((e) => e.clientId)).size, 170);
});

test(
  "three nodes, one database: one-time KeyPackages claimed once, the first commit of an epoch wins, invite use limits hold",
  { timeout: 120_000 },
  async (t) => {
    const { nodes } = await threeNodes(t);
    const owner = await bootstrapOrg(nodes[0]!);
    const bob = await makeUser(nodes[0]!, owner);
    const carol = await makeUser(nodes[0]!, owner);

    // KeyPackages: 6 one-time + a last resort; 12 claims spread over the nodes at once.
    const id = await createDeviceIdentity({ orgId: carol.org.id, userId: carol.user.id, deviceId: carol.tokens.deviceId, suite: "default" });
    assert.equal(
      (
        await carol.api("PUT", "/e2ee/device-identity", {
          suite: id.suite,
          signaturePublicKey: b64(id.signaturePublicKey),
          credential: b64(id.credentialIdentity),
        })
      ).status,
      200,
    );
    const kps = [...(await generateKeyPackages(id, 6)), ...(await generateKeyPackages(id, 1, { lastResort: true }))];
    assert.equal(
      (await carol.api("POST", "/e2ee/key-packages", { keyPackages: kps.map((k) => ({ data: b64(k.keyPackage), lastResort: k.lastResort })) })).status,
      201,
    );
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) => on(nodes[i % 3]!, owner).api("POST", "/e2ee/key-packages/claim", { userIds: [carol.user.id] })),
    );
    const got = claims.map((c) => {
      assert.equal(c.status, 200, JSON.stringify(c.body));
      return c.body.keyPackages[0] as { keyPackage: string; lastResort: boolean };
    });
    const oneTime = got.filter((k) => !k.lastResort).map((k) => k.keyPackage);
    assert.equal(oneTime.length, 6, "each one-time KeyPackage handed out exactly once");
    assert.equal(new Set(oneTime).size, 6);

    // MLS: two members commit at the same epoch through different nodes: one wins, one gets stale_epoch.
    const ch = (await owner.api("POST", "/channels", { kind: "private", name: "mls", members: [bob.user.id] })).body.id as string;
    const a = await mlsClient(on(nodes[0]!, owner));
    const b = await mlsClient(on(nodes[1]!, bob));
    assert.equal((await initChannel(a, ch)).status, 200);
    assert.equal((await addUsers(a, ch, [bob.user.id])).res.status, 200);
    const gb = await joinFromStream(b, ch);
    const ua = await selfUpdate(groupOf(a, ch));
    const ub = await selfUpdate(gb);
    const [ra, rb] = await Promise.all([
      on(nodes[1]!, owner).api("POST", `/channels/${ch}/commits`, bundleBody(ua)),
      on(nodes[2]!, bob).api("POST", `/channels/${ch}/commits`, bundleBody(ub)),
    ]);
    assert.deepEqual([ra.status, rb.status].sort(), [200, 409], `${JSON.stringify(ra.body)} ${JSON.stringify(rb.body)}`);
    assert.equal((ra.status === 409 ? ra : rb).body.code, "stale_epoch");
    const epoch = Number((await nodes[0]!.deps.db.selectFrom("channels").select("epoch").where("id", "=", ch).executeTakeFirstOrThrow()).epoch);
    assert.equal(epoch, 2, "exactly one commit moved the epoch");
    const commits = (await owner.api("GET", `/channels/${ch}/events?after=0&limit=100`)).body.events.filter(
      (e: { kind: string; epoch: number }) => e.kind === "commit" && e.epoch === 1,
    );
    assert.equal(commits.length, 1, "one commit of epoch 1 in the timeline");

    // Invites: a link with 3 uses, 12 sign-ups through the three nodes at once.
    const inv = (await owner.api("POST", "/invites", { maxUses: 3 })).body;
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(nodes[i % 3]!, "POST", "/invites/accept", {
          token: inv.token,
          username: `joiner-${i}`,
          displayName: "Joiner",
          password: TEST_PASSWORD,
          deviceName: "laptop",
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, ...Array(9).fill(410)], JSON.stringify(results.map((r) => r.body.code)));
    const row = await nodes[0]!.deps.db.selectFrom("invites").select("uses").where("id", "=", inv.id).executeTakeFirstOrThrow();
    assert.equal(Number(row.uses), 3);
  },
);
