import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestServer } from "../testing/harness.ts";

test("web app: index and SPA routes revalidate, hashed assets are immutable, API paths keep JSON 404s", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-web-"));
  fs.mkdirSync(path.join(dir, "assets"));
  fs.writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>app</title>");
  fs.writeFileSync(path.join(dir, "assets", "index-abc123.js"), "console.log(1)");
  fs.writeFileSync(path.join(dir, "manifest.webmanifest"), "{}");
  const server = await startTestServer({ config: { webDir: dir } });
  t.after(async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const html = { accept: "text/html,application/xhtml+xml" };

  const root = await fetch(`${server.url}/`, { headers: html });
  assert.equal(root.status, 200);
  assert.equal(root.headers.get("cache-control"), "no-cache");
  assert.match(root.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  assert.match(await root.text(), /<title>app<\/title>/);

  const deep = await fetch(`${server.url}/invite/some-token`, { headers: html });
  assert.equal(deep.status, 200);
  assert.match(await deep.text(), /<title>app<\/title>/);

  const asset = await fetch(`${server.url}/assets/index-abc123.js`);
  assert.equal(asset.status, 200);
  assert.equal(asset.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.equal((await fetch(`${server.url}/manifest.webmanifest`)).headers.get("cache-control"), "no-cache");

  const missingAsset = await fetch(`${server.url}/assets/gone.js`, { headers: html });
  assert.equal(missingAsset.status, 404);
  const api = await fetch(`${server.url}/api/v1/nope`, { headers: html });
  assert.equal(api.status, 404);
  assert.equal(((await api.json()) as { code: string }).code, "not_found");
  const jsonClient = await fetch(`${server.url}/somewhere`);
  assert.equal(jsonClient.status, 404);
  const setup = await fetch(`${server.url}/api/v1/setup`);
  assert.equal(((await setup.json()) as { needsSetup: boolean }).needsSetup, true);
});
