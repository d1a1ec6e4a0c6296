/**
 * Commit bundles get their own body limit (config mlsBundleLimit, route marker
 * bodyLimit: "mlsBundle"): a 1,000-member GroupInfo + Welcome is several MB,
 * far above the server-wide bodyLimit, which still applies to every other route.
 */
import test from "node:test";
import assert from "node:assert/strict";
import { DIALECTS, startTestServer } from "../../testing/harness.ts";
import { bootstrapOrg } from "../../testing/factories.ts";

const MiB = 1_048_576;
// Base64 of zero bytes, `n` characters: well-formed JSON and base64, not an MLS message.
const filler = (n: number) => "A".repeat(n - (n % 4));

for (const dialect of DIALECTS) {
  test(`commit bundles have their own body limit (${dialect})`, { timeout: 60_000 }, async () => {
    const server = await startTestServer({ dialect, config: { bodyLimit: MiB, mlsBundleLimit: 3 * MiB } });
    try {
      const owner = await bootstrapOrg(server);
      const channelId: string = (await owner.api("POST", "/channels", { kind: "private", name: "big" })).body.id;
      // 2 MiB: over bodyLimit, under mlsBundleLimit — parsed and refused as a bad MLS message, not as too large.
      const mid = await owner.api("POST", `/channels/${channelId}/commits`, { epoch: 0, groupInfo: filler(2 * MiB) });
      assert.equal(mid.status, 400, JSON.stringify(mid.body).slice(0, 300));
      assert.equal(mid.body.details?.reason, "malformed");
      // Over mlsBundleLimit: 413.
      const big = await owner.api("POST", `/channels/${channelId}/commits`, { epoch: 0, groupInfo: filler(4 * MiB) });
      assert.equal(big.status, 413);
      assert.equal(big.body.code, "payload_too_large");
      // Other routes keep the server-wide limit.
      const other = await owner.api("POST", "/channels", { kind: "private", name: "x", topic: filler(2 * MiB) });
      assert.equal(other.status, 413);
    } finally {
      await server.stop();
    }
  });
}
