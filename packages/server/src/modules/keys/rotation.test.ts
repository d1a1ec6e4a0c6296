/**
 * Key rotation with servers running (two nodes on one database and key file) and a
 * client connected: `parley keys rotate` (KEK) and `--signing jwt|audit`, run the way the
 * CLI runs them (composeDeps on the same config, offline). No session is lost: tokens
 * issued before still verify, refresh works, the socket keeps delivering, a message still
 * sends; the JWKS lists both keys during the overlap and only the new one after it; the
 * nodes switch to the new signing keys within PARLEY_KEY_REFRESH_SECONDS; a node started
 * afterwards works with the new KEK; every rotation is in the audit log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { decodeProtectedHeader } from "jose";
import { DIALECTS, createTestDatabase, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, makeUser, type TestUser } from "../../testing/factories.ts";
import { connectUser, postText } from "../../gateway/test-client.ts";
import { composeDeps } from "../../compose.ts";
import { loadConfig } from "../../config/schema.ts";
import { createLogger } from "../../platform/log.ts";
import { verifyAuditDatabase, auditPublicKeys } from "../audit/index.ts";
import { kekStatus, retireKeks, rotateKek, rotateSigningKey } from "./index.ts";

const FAST = { keyRefreshSeconds: 1, accessTokenTtl: 60 };

/** Poll `fn` until it returns a truthy value (at most 5 s). */
async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`${what}: not within 5 s`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const me = (s: TestServer, token: string) => call(s, "GET", "/me", undefined, { authorization: `Bearer ${token}` });
const jwksKids = async (s: TestServer) => ((await call(s, "GET", "/auth/jwks")).body.keys as Array<{ kid: string }>).map((k) => k.kid).sort();

for (const dialect of DIALECTS) {
  test(`keys rotate while two nodes run and a client is connected: no session lost (${dialect})`, { timeout: 60_000 }, async () => {
    const database = await createTestDatabase(dialect);
    const s1 = await startTestServer({ database, config: FAST });
    const s2 = await startTestServer({ database, config: FAST });
    // The CLI's offline side: the same config, its own process state.
    const cli = await composeDeps(loadConfig({ dataDir: database.dataDir, databaseUrl: database.url, logLevel: "silent", ...FAST }, {}), {
      log: createLogger("silent"),
      relay: "leave",
    });
    try {
      const owner = await bootstrapOrg(s1);
      const member: TestUser = await makeUser(s1, owner);
      const ch = (await owner.api("POST", "/channels", { name: "rotation", kind: "public" })).body.id as string;
      assert.equal((await member.api("POST", `/channels/${ch}/join`)).status, 200);
      const sealed = await s1.deps.kms.seal(new TextEncoder().encode("org secret"), "ctx/rotation", { orgId: owner.org.id });
      // One node per client: the in-process bus does not cross nodes (NATS would).
      const sock = await connectUser(s1.url, owner.accessToken);
      const oldKid = kidOf(owner.accessToken)!;
      const oldAudit = (await s1.deps.kms.key("audit")).id;
      const before = (await cli.deps.kms.keks.active()).id;

      // --- KEK rotation: every data key re-wrapped; servers never notice.
      const progress: number[] = [];
      const r = await rotateKek(cli.deps, { onProgress: (done) => progress.push(done) });
      assert.deepEqual(r.previous, [before]);
      assert.equal(r.rewrapped, 2, "the server's and the org's data key");
      assert.deepEqual(progress, [1, 2]);
      const keyFile = fs.readFileSync(path.join(database.dataDir, "master.key"), "utf8");
      assert.equal(keyFile.split("\n").filter((l) => /^[0-9a-f]{64}$/.test(l)).length, 2, "the key file holds the new key and the old one");
      assert.deepEqual(await s2.deps.kms.open(sealed, "ctx/rotation", { orgId: owner.org.id }), new TextEncoder().encode("org secret"));

      // --- JWT rotation with overlap.
      const jwt = await rotateSigningKey(cli.deps, "jwt", { overlapSeconds: 120 });
      assert.deepEqual(jwt.previous, [oldKid]);
      const kids = await eventually("s1's JWKS lists both keys", async () => {
        const k = await jwksKids(s1);
        return k.length === 2 && k;
      });
      assert.deepEqual(kids, [oldKid, jwt.id].sort(), "both keys are published during the overlap");
      // Tokens issued before the rotation still verify on both nodes; the socket still works.
      assert.equal((await me(s1, owner.accessToken)).status, 200);
      assert.equal((await me(s2, member.accessToken)).status, 200);
      // Refresh works, and within the refresh interval new tokens carry the new key, which every node accepts at once.
      let refreshToken = owner.tokens.refreshToken;
      const fresh = await eventually("s1 signs with the new key", async () => {
        const t = await call(s1, "POST", "/auth/refresh", { refreshToken });
        assert.equal(t.status, 200, JSON.stringify(t.body));
        refreshToken = t.body.refreshToken;
        return kidOf(t.body.accessToken) === jwt.id && (t.body.accessToken as string);
      });
      assert.equal((await me(s2, fresh)).status, 200, "the other node verifies a token signed with the new key");
      // A message still sends (old token, HTTP) and arrives on the socket opened before the rotations.
      const seq = await postText(member, ch, "after the rotation");
      await sock.waitFor((f) => f.t === "event" && f.event.channelId === ch && f.event.seq === seq);
      sock.send({ t: "send", ref: "after", channelId: ch, clientId: "c-after-rotation", kind: "message", content: Buffer.from("ws").toString("base64") });
      assert.equal((await sock.waitFor((f) => (f.t === "ack" || f.t === "error") && "ref" in f && f.ref === "after")).t, "ack");

      // --- Audit key rotation: the nodes pick it up; the chain with checkpoints by both keys verifies.
      const audit = await rotateSigningKey(cli.deps, "audit");
      assert.deepEqual(audit.previous, [oldAudit]);
      await eventually("s1 signs checkpoints with the new audit key", async () => (await s1.deps.kms.key("audit")).id === audit.id);
      assert.ok((await auditPublicKeys(s1.deps.db)).has(oldAudit), "the old audit key still verifies its checkpoints");
      assert.equal((await verifyAuditDatabase(s1.deps.db)).ok, true);

      // After the overlap, the old JWT key is gone from the JWKS and verifies nothing.
      const realNow = s1.deps.now;
      s1.deps.now = () => realNow() + 121_000;
      try {
        assert.deepEqual(await jwksKids(s1), [jwt.id]);
      } finally {
        s1.deps.now = realNow;
      }

      // --- A node started after the rotations wraps with the new KEK and opens what was sealed before.
      const s3 = await startTestServer({ database, config: FAST });
      try {
        assert.equal((await s3.deps.kms.keks.active()).id, r.kek);
        assert.deepEqual(await s3.deps.kms.open(sealed, "ctx/rotation", { orgId: owner.org.id }), new TextEncoder().encode("org secret"));
        assert.equal((await me(s3, owner.accessToken)).status, 200);
      } finally {
        await s3.close();
      }

      // --- Retiring: the old KEK is referenced by nothing now, so it goes; the servers keep working.
      const retired = await retireKeks(cli.deps);
      assert.deepEqual(retired.retired, [before]);
      assert.deepEqual(
        (await kekStatus(cli.deps)).map((k) => [k.id, k.active, k.dataKeys]),
        [[r.kek, true, 2]],
      );
      assert.deepEqual(await s1.deps.kms.open(sealed, "ctx/rotation", { orgId: owner.org.id }), new TextEncoder().encode("org secret"));
      assert.equal(sock.ws.readyState, sock.ws.OPEN, "the client stayed connected throughout");
      await sock.close();

      const actions = await s1.deps.db
        .selectFrom("audit_log")
        .select(["action", "actor_kind", "details"])
        .where("org_id", "=", owner.org.id)
        .where("action", "like", "kms.%")
        .orderBy("seq")
        .execute();
      assert.deepEqual(
        actions.map((a) => [a.action, a.actor_kind]),
        [
          ["kms.kek_rotated", "system"],
          ["kms.signing_key_rotated", "system"],
          ["kms.signing_key_rotated", "system"],
          ["kms.kek_retired", "system"],
        ],
      );
      assert.match(actions[1]!.details, /"purpose":"jwt"/);
    } finally {
      await cli.close();
      await s2.close();
      await s1.close();
      await database.drop();
    }
  });
}
