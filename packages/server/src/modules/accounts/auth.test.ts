import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createLocalJWKSet, jwtVerify } from "jose";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, call, countRows, identityCounts, makeUser, TEST_PASSWORD, type TestUser } from "../../testing/factories.ts";

for (const dialect of DIALECTS) {
  describe(`auth: login, refresh, logout (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    before(async () => {
      s = await startTestServer({ dialect, config: { loginAttempts: 3 } });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
    });
    after(() => s.stop());
    const login = (over: Record<string, unknown>) => call(s, "POST", "/auth/login", { org: "acme", password: TEST_PASSWORD, deviceName: "phone", ...over });
    /** The org's `auth.login.throttled` audit entries: [limit, target user id]. */
    const throttledEntries = async () =>
      (await s.deps.db.selectFrom("audit_log").selectAll().where("action", "=", "auth.login.throttled").orderBy("seq").execute()).map((e) => [
        JSON.parse(e.details).limit,
        e.target_id,
        e.result,
      ]);

    it("registers a new device, or reuses an own unrevoked one", async () => {
      const bob = await makeUser(s, owner, { username: "bob" });
      const devices = await countRows(s, "devices");
      const a = await login({ username: "bob" });
      assert.equal(a.status, 200);
      assert.notEqual(a.body.deviceId, bob.tokens.deviceId);
      assert.equal(await countRows(s, "devices"), devices + 1);
      const items = await s.deps.db.selectFrom("user_stream").selectAll().where("user_id", "=", bob.user.id).execute();
      assert.ok(items.some((i) => i.kind === "device.added" && JSON.parse(i.data).deviceId === a.body.deviceId));

      const b = await login({ username: "bob", deviceId: a.body.deviceId });
      assert.equal(b.status, 200);
      assert.equal(b.body.deviceId, a.body.deviceId);
      assert.notEqual(b.body.sessionId, a.body.sessionId);
      assert.equal(await countRows(s, "devices"), devices + 1);

      const foreign = await login({ username: "bob", deviceId: owner.tokens.deviceId });
      assert.equal(foreign.status, 400);
      assert.equal(await countRows(s, "devices"), devices + 1);
    });

    it("rejects wrong credentials and bad input with stable codes, writing nothing", async () => {
      const before = await identityCounts(s);
      for (const over of [{ username: "owner", password: "wrong password!" }, { username: "nobody" }, { username: "owner", org: "no-such-org" }]) {
        const r = await login(over);
        assert.equal(r.status, 401);
        assert.equal(r.body.code, "invalid_credentials");
      }
      const bad = await login({ username: "Bad Name!" });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.code, "validation_failed");
      assert.deepEqual(await identityCounts(s), before);
      await s.deps.limits.loginIp.reset("127.0.0.1");
    });

    it("rotates refresh tokens; reusing one revokes the whole session", async () => {
      const t1 = (await login({ username: "owner" })).body;
      const r1 = await call(s, "POST", "/auth/refresh", { refreshToken: t1.refreshToken });
      assert.equal(r1.status, 200);
      assert.equal(r1.body.sessionId, t1.sessionId);
      assert.notEqual(r1.body.refreshToken, t1.refreshToken);
      const stored = await s.deps.db.selectFrom("refresh_tokens").select("token_hash").execute();
      assert.ok(!stored.some((r) => r.token_hash === r1.body.refreshToken), "refresh tokens are stored hashed");

      const revoked: unknown[] = [];
      const unsub = s.deps.bus.subscribe("auth.revoked", (m) => revoked.push(m));
      const reuse = await call(s, "POST", "/auth/refresh", { refreshToken: t1.refreshToken });
      unsub();
      assert.equal(reuse.status, 401);
      assert.equal(reuse.body.code, "refresh_token_reused");
      assert.deepEqual(revoked, [{ orgId: t1.org.id, userId: t1.user.id, sessionIds: [t1.sessionId] }]);
      // The family is dead: the newest token and the access token stop working too.
      const next = await call(s, "POST", "/auth/refresh", { refreshToken: r1.body.refreshToken });
      assert.equal(next.body.code, "refresh_token_invalid");
      const me = await call(s, "GET", "/me", undefined, { authorization: `Bearer ${r1.body.accessToken}` });
      assert.equal(me.status, 401);
      // Other sessions of the user are untouched.
      assert.equal((await owner.api("GET", "/me")).status, 200);

      const unknown = await call(s, "POST", "/auth/refresh", { refreshToken: "z".repeat(43) });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.code, "refresh_token_invalid");
    });

    it("expired refresh tokens are invalid", async () => {
      const t = (await login({ username: "owner" })).body;
      const realNow = s.deps.now;
      s.deps.now = () => realNow() + (s.deps.config.refreshTokenTtl + 1) * 1000;
      try {
        const r = await call(s, "POST", "/auth/refresh", { refreshToken: t.refreshToken });
        assert.equal(r.body.code, "refresh_token_invalid");
      } finally {
        s.deps.now = realNow;
      }
    });

    it("logout ends the current session only", async () => {
      const t = (await login({ username: "owner" })).body;
      const auth = { authorization: `Bearer ${t.accessToken}` };
      assert.equal((await call(s, "POST", "/auth/logout", undefined, auth)).status, 204);
      assert.equal((await call(s, "GET", "/me", undefined, auth)).status, 401);
      assert.equal((await call(s, "POST", "/auth/refresh", { refreshToken: t.refreshToken })).body.code, "refresh_token_invalid");
      assert.equal((await owner.api("GET", "/me")).status, 200);
      assert.equal((await call(s, "POST", "/auth/logout")).status, 401);
    });

    it("publishes JWKS that verify access tokens", async () => {
      const r = await call(s, "GET", "/auth/jwks");
      assert.equal(r.status, 200);
      assert.ok(
        r.body.keys.every((k: Record<string, unknown>) => k.d === undefined),
        "no private key material",
      );
      const { payload } = await jwtVerify(owner.accessToken, createLocalJWKSet(r.body));
      assert.equal(payload.sub, owner.user.id);
    });

    it("throttles repeated failures per account with 429 and Retry-After, even for the right password", async () => {
      const victim = await makeUser(s, owner, { username: "victim" });
      for (let i = 0; i < 3; i++) assert.equal((await login({ username: "victim", password: "wrong password!" })).status, 401);
      const throttledBefore = (await throttledEntries()).length;
      const r = await login({ username: "victim" });
      assert.equal(r.status, 429);
      assert.equal(r.body.code, "login_throttled");
      assert.ok(Number(r.headers.get("retry-after")) > 0);
      assert.equal((await login({ username: "victim", password: "wrong password!" })).status, 429);
      // The refusal that locked the account is audited; the ones after it are not (no flooding the log).
      assert.deepEqual((await throttledEntries()).slice(throttledBefore), [["account", victim.user.id, "failure"]]);
      // Another account is not affected by this account's lock.
      assert.equal((await login({ username: "owner" })).status, 200);
      assert.equal((await victim.api("GET", "/me")).status, 200, "existing sessions keep working");
    });

    it("throttles an address that guesses across many accounts", async () => {
      await s.deps.limits.loginIp.reset("127.0.0.1");
      const before = await identityCounts(s);
      // loginAttempts 3 -> 15 failures per address; one failure each on 15 different names.
      for (let i = 0; i < 15; i++) assert.equal((await login({ username: `guess-${i}`, password: "wrong password!" })).status, 401);
      const throttledBefore = (await throttledEntries()).length;
      const r = await login({ username: "owner" });
      assert.equal(r.status, 429);
      assert.equal(r.body.code, "login_throttled");
      assert.ok(Number(r.headers.get("retry-after")) > 0);
      assert.equal((await login({ username: "owner" })).status, 429);
      assert.deepEqual((await throttledEntries()).slice(throttledBefore), [["address", owner.user.id, "failure"]]);
      assert.deepEqual(await identityCounts(s), before);
      await s.deps.limits.loginIp.reset("127.0.0.1");
      assert.equal((await login({ username: "owner" })).status, 200);
    });

    it("parallel guesses cannot outrun the account limit", async () => {
      const parallelUser = await makeUser(s, owner, { username: "parallel" });
      await s.deps.limits.loginIp.reset("127.0.0.1");
      // loginAttempts 3: of 20 guesses in flight at once, at most 3 reach the password check.
      const rs = await Promise.all(Array.from({ length: 20 }, () => login({ username: "parallel", password: "wrong password!" })));
      const checked = rs.filter((r) => r.status === 401).length;
      assert.ok(checked <= 3, `${checked} guesses were checked`);
      assert.equal(rs.filter((r) => r.status === 429).length, 20 - checked);
      assert.deepEqual(
        (await throttledEntries()).filter(([, target]) => target === parallelUser.user.id),
        [["account", parallelUser.user.id, "failure"]],
        "the lock of the parallel guesses is audited once",
      );
      await s.deps.limits.loginIp.reset("127.0.0.1");
    });

    it("a deactivated account with the right password answers exactly like a wrong password", async () => {
      const bob = await makeUser(s, owner, { username: "deact" });
      assert.equal((await owner.api("POST", `/users/${bob.user.id}/deactivate`)).status, 200);
      const fresh = async () => {
        await s.deps.limits.loginAccount.reset("acme:deact");
        await s.deps.limits.loginIp.reset("127.0.0.1");
      };
      await fresh();
      const right = await login({ username: "deact" });
      const wrong = await login({ username: "deact", password: "wrong password!" });
      assert.equal(right.status, wrong.status);
      assert.deepEqual(right.body, wrong.body);
      assert.equal(wrong.body.code, "invalid_credentials");
      for (const h of ["retry-after", "cache-control", "content-type"]) assert.equal(right.headers.get(h), wrong.headers.get(h), h);
      // The right password counts as a failure too: it neither resets the account's
      // failures nor escapes the throttle (loginAttempts 3).
      await fresh();
      for (const pw of ["wrong password!", "wrong password!", TEST_PASSWORD]) assert.equal((await login({ username: "deact", password: pw })).status, 401);
      assert.equal((await login({ username: "deact", password: "wrong password!" })).body.code, "login_throttled");
      // Comparable timing: both verify one argon2id hash (medians of interleaved tries).
      const took: Record<"right" | "wrong", number[]> = { right: [], wrong: [] };
      for (let i = 0; i < 5; i++) {
        for (const kind of ["right", "wrong"] as const) {
          await fresh();
          const t0 = performance.now();
          await login({ username: "deact", ...(kind === "wrong" ? { password: "wrong password!" } : {}) });
          took[kind].push(performance.now() - t0);
        }
      }
      const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratio = median(took.right) / median(took.wrong);
      assert.ok(ratio > 0.5 && ratio < 2, `right ${median(took.right).toFixed(1)} ms vs wrong ${median(took.wrong).toFixed(1)} ms`);
      await fresh();
      assert.equal((await owner.api("POST", `/users/${bob.user.id}/reactivate`)).status, 200);
      assert.equal((await login({ username: "deact" })).status, 200);
    });

    it("a double refresh with one token counts as reuse and ends the session", async () => {
      const t = (await login({ username: "owner" })).body;
      const [a, b] = await Promise.all([
        call(s, "POST", "/auth/refresh", { refreshToken: t.refreshToken }),
        call(s, "POST", "/auth/refresh", { refreshToken: t.refreshToken }),
      ]);
      assert.deepEqual([a.status, b.status].sort(), [200, 401]);
      assert.equal([a, b].find((r) => r.status === 401)!.body.code, "refresh_token_reused");
      const winner = [a, b].find((r) => r.status === 200)!.body;
      assert.equal((await call(s, "POST", "/auth/refresh", { refreshToken: winner.refreshToken })).body.code, "refresh_token_invalid");
      assert.equal((await call(s, "POST", "/auth/refresh", { refreshToken: t.refreshToken })).body.code, "refresh_token_reused");
      // The reuse that ended the session is audited once (a reuse on an ended session changes nothing).
      const reuses = await s.deps.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "session.refresh_token_reused")
        .where("target_id", "=", t.sessionId)
        .execute();
      assert.deepEqual(
        reuses.map((e) => [e.target_id, e.actor_id, e.actor_device_id, e.result]),
        [[t.sessionId, owner.user.id, t.deviceId, "failure"]],
      );
    });
  });
}
