/** Custom emoji: admin upload with image checks, listing and image bytes for members, delete, audit, other orgs. */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { EMOJI_LIMITS } from "@parley/protocol";
import { DIALECTS, startTestServer, type TestServer } from "../../testing/harness.ts";
import { bootstrapOrg, countRows, makeOrg, makeUser, type TestUser } from "../../testing/factories.ts";
import { emojiDimensions } from "./emoji-image.ts";

/** A PNG header (signature, IHDR) of w×h followed by filler: enough for the server's checks. */
function png(w: number, h: number, extra = 32): Buffer {
  const ihdr = Buffer.alloc(8);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  return Buffer.concat([Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"), ihdr, Buffer.alloc(extra, 7)]);
}
function gif(w: number, h: number): Buffer {
  const b = Buffer.alloc(16);
  b.write("GIF89a", 0, "latin1");
  b.writeUInt16LE(w, 6);
  b.writeUInt16LE(h, 8);
  return b;
}
function webpLossless(w: number, h: number): Buffer {
  const b = Buffer.alloc(40);
  b.write("RIFF", 0, "latin1");
  b.writeUInt32LE(32, 4);
  b.write("WEBPVP8L", 8, "latin1");
  b[20] = 0x2f;
  b.writeUInt32LE(((h - 1) << 14) | (w - 1), 21);
  return b;
}
const b64 = (b: Buffer) => b.toString("base64");

describe("emoji image headers", () => {
  it("reads PNG, GIF and WebP (lossless, lossy, extended) dimensions and refuses other bytes", () => {
    assert.deepEqual(emojiDimensions("image/png", png(64, 48)), { width: 64, height: 48 });
    assert.deepEqual(emojiDimensions("image/gif", gif(20, 30)), { width: 20, height: 30 });
    assert.deepEqual(emojiDimensions("image/webp", webpLossless(128, 100)), { width: 128, height: 100 });
    const lossy = Buffer.alloc(40);
    lossy.write("RIFF", 0, "latin1");
    lossy.write("WEBPVP8 ", 8, "latin1");
    lossy.set([0x9d, 0x01, 0x2a], 23);
    lossy.writeUInt16LE(72, 26);
    lossy.writeUInt16LE(36, 28);
    assert.deepEqual(emojiDimensions("image/webp", lossy), { width: 72, height: 36 });
    const extended = Buffer.alloc(40);
    extended.write("RIFF", 0, "latin1");
    extended.write("WEBPVP8X", 8, "latin1");
    extended.writeUIntLE(299, 24, 3);
    extended.writeUIntLE(9, 27, 3);
    assert.deepEqual(emojiDimensions("image/webp", extended), { width: 300, height: 10 });
    assert.equal(emojiDimensions("image/png", gif(20, 20)), undefined);
    assert.equal(emojiDimensions("image/gif", png(20, 20)), undefined);
    assert.equal(emojiDimensions("image/webp", Buffer.from("<svg onload=alert(1)>")), undefined);
    assert.equal(emojiDimensions("image/png", png(0, 10)), undefined);
  });
});

for (const dialect of DIALECTS) {
  describe(`custom emoji (${dialect})`, () => {
    let s: TestServer;
    let owner: TestUser;
    let admin: TestUser;
    let member: TestUser;
    let other: TestUser;
    before(async () => {
      s = await startTestServer({ dialect });
      owner = await bootstrapOrg(s, { orgSlug: "acme" });
      admin = await makeUser(s, owner, { role: "admin" });
      member = await makeUser(s, owner);
      other = await makeOrg(s, "other");
    });
    after(() => s.stop());
    const counts = async () => ({ emoji: await countRows(s, "custom_emoji"), audit: await countRows(s, "audit_log") });

    it("an admin uploads; every member lists it and fetches the image with safe headers; the upload and delete are audited", async () => {
      const image = png(64, 64);
      const up = await admin.api("PUT", "/emoji/party-parrot", { contentType: "image/png", data: b64(image) });
      assert.equal(up.status, 201, JSON.stringify(up.body));
      assert.deepEqual(
        { ...up.body, createdAt: 0, version: "" },
        {
          name: "party-parrot",
          contentType: "image/png",
          version: "",
          width: 64,
          height: 64,
          createdBy: admin.user.id,
          createdAt: 0,
        },
      );
      const listed = await member.api("GET", "/emoji");
      assert.deepEqual(listed.body.emoji, [up.body]);
      const res = await fetch(`${s.url}/api/v1/emoji/party-parrot/image`, { headers: { authorization: `Bearer ${member.accessToken}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.match(res.headers.get("content-security-policy") ?? "", /sandbox/);
      assert.equal(res.headers.get("etag"), `"${up.body.version}"`);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), image);
      assert.equal((await owner.api("DELETE", "/emoji/party-parrot")).status, 204);
      assert.deepEqual((await member.api("GET", "/emoji")).body.emoji, []);
      assert.equal((await member.api("GET", "/emoji/party-parrot/image")).status, 404);
      assert.equal((await owner.api("DELETE", "/emoji/party-parrot")).status, 404);
      const audit = await s.deps.db
        .selectFrom("audit_log")
        .select(["action", "actor_id"])
        .where("target_id", "=", "party-parrot")
        .where("action", "like", "emoji.%")
        .orderBy("seq")
        .execute();
      assert.deepEqual(
        audit.map((a) => [a.action, a.actor_id]),
        [
          ["emoji.created", admin.user.id],
          ["emoji.deleted", owner.user.id],
        ],
      );
    });

    it("refuses members, bad shortcodes, wrong or oversized images and duplicates, writing nothing", async () => {
      assert.equal((await admin.api("PUT", "/emoji/taken", { contentType: "image/gif", data: b64(gif(32, 32)) })).status, 201);
      const before = await counts();
      const cases: Array<[TestUser, string, unknown, number, string, string?]> = [
        [member, "/emoji/nope", { contentType: "image/png", data: b64(png(32, 32)) }, 403, "forbidden"],
        [admin, "/emoji/Bad Name", { contentType: "image/png", data: b64(png(32, 32)) }, 400, "validation_failed"],
        [admin, "/emoji/x", { contentType: "image/png", data: b64(png(32, 32)) }, 400, "validation_failed"],
        [admin, "/emoji/svg", { contentType: "image/svg+xml", data: b64(Buffer.from("<svg/>")) }, 400, "validation_failed"],
        [admin, "/emoji/liar", { contentType: "image/png", data: b64(gif(32, 32)) }, 400, "emoji_image_invalid", "type"],
        [admin, "/emoji/huge", { contentType: "image/png", data: b64(png(EMOJI_LIMITS.maxPixels + 1, 10)) }, 400, "emoji_image_invalid", "dimensions"],
        [admin, "/emoji/heavy", { contentType: "image/png", data: b64(png(32, 32, EMOJI_LIMITS.maxBytes - 24 + 1)) }, 413, "payload_too_large"],
        [admin, "/emoji/taken", { contentType: "image/webp", data: b64(webpLossless(16, 16)) }, 409, "emoji_exists"],
      ];
      for (const [who, path, body, status, code, reason] of cases) {
        const r = await who.api("PUT", path, body);
        assert.equal(r.status, status, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.code, code, path);
        if (reason) assert.equal(r.body.details.reason, reason, path);
      }
      assert.equal((await member.api("DELETE", "/emoji/taken")).status, 403);
      assert.deepEqual(await counts(), before);
    });

    it("another org sees none of them and cannot fetch or delete them; its own emoji of the same name is its own", async () => {
      assert.equal((await admin.api("PUT", "/emoji/secret-logo", { contentType: "image/png", data: b64(png(16, 16)) })).status, 201);
      assert.deepEqual((await other.api("GET", "/emoji")).body.emoji, []);
      assert.equal((await other.api("GET", "/emoji/secret-logo/image")).status, 404);
      assert.equal((await other.api("DELETE", "/emoji/secret-logo")).status, 404);
      assert.equal((await other.api("PUT", "/emoji/secret-logo", { contentType: "image/gif", data: b64(gif(8, 8)) })).status, 201);
      const mine = (await member.api("GET", "/emoji")).body.emoji.find((e: { name: string }) => e.name === "secret-logo");
      assert.equal(mine.contentType, "image/png");
    });
  });
}
