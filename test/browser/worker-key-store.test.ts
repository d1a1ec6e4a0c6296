/**
 * BrowserKeyStore (@parley/crypto/browser) in a real chromium: a small page
 * served by the test loads the store's module (types stripped by Node) and
 * checks round trips, persistence across reloads, encryption at rest (no
 * plaintext in the raw IndexedDB records), associated data (a record moved
 * to another name does not open), the non-extractable key, concurrent first
 * opens agreeing on one key, sealed app data, use from a Web Worker, and wipe.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { stripTypeScriptTypes } from "node:module";
import type { Browser, Page } from "playwright-core";
import { launchChromium, newUserPage } from "./browser-support.ts";

const SOURCE = new URL("../../packages/crypto/src/browser-key-store.ts", import.meta.url);
let server: http.Server;
let url: string;
let browser: Browser;
let page: Page;
const errors: string[] = [];

before(async () => {
  const js = stripTypeScriptTypes(fs.readFileSync(SOURCE, "utf8"));
  const worker = `import { BrowserKeyStore } from "/browser-key-store.js";
    onmessage = async (m) => { const s = await BrowserKeyStore.open({ name: m.data.db }); await s.put("from-worker", new Uint8Array([7, 7, 7])); s.close(); postMessage("ok"); };`;
  server = http.createServer((req, res) => {
    if (req.url === "/browser-key-store.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(js);
    if (req.url === "/worker.js") return void res.writeHead(200, { "content-type": "text/javascript" }).end(worker);
    res
      .writeHead(200, { "content-type": "text/html" })
      .end(
        `<!doctype html><script type="module">import { BrowserKeyStore } from "/browser-key-store.js"; window.BrowserKeyStore = BrowserKeyStore; window.ready = true;</script>`,
      );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await launchChromium();
  page = await newUserPage(browser, errors);
  await load();
});
after(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
});

async function load(): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
}

// In the page: `KS` is the BrowserKeyStore class; `raw(db, store)` reads a database's records without the store.
const PRELUDE = `
  const KS = window.BrowserKeyStore;
  const raw = (db, store) => new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onerror = () => reject(r.error);
    r.onsuccess = () => { const q = r.result.transaction(store).objectStore(store).getAll(); q.onsuccess = () => { r.result.close(); resolve(q.result); }; };
  });
  const rawPut = (db, store, key, value) => new Promise((resolve, reject) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => { const tx = r.result.transaction(store, "readwrite"); tx.objectStore(store).put(value, key); tx.oncomplete = () => { r.result.close(); resolve(); }; tx.onerror = () => reject(tx.error); };
  });
  const rawGet = (db, store, key) => new Promise((resolve) => {
    const r = indexedDB.open(db);
    r.onsuccess = () => { const q = r.result.transaction(store).objectStore(store).get(key); q.onsuccess = () => { r.result.close(); resolve(q.result); }; };
  });
  const bytes = (s) => new TextEncoder().encode(s);
  const text = (b) => b ? new TextDecoder().decode(b) : undefined;
`;
const run = <T>(body: string): Promise<T> => page.evaluate(`(async () => { ${PRELUDE} ${body} })()`) as Promise<T>;

test("put, get, list and delete round-trip and survive a reload", async () => {
  const r = await run<{ got: string; list: string[]; afterDelete: string[]; missing: unknown }>(`
    const s = await KS.open({ name: "ks-basic" });
    await s.put("group/b", bytes("state of b"));
    await s.put("group/a", bytes("state of a"));
    await s.put("identity", bytes("identity"));
    await s.put("group/a", bytes("state of a, epoch 2"));
    const got = text(await s.get("group/a"));
    const list = await s.list("group/");
    await s.delete("group/b");
    const afterDelete = await s.list("group/");
    const missing = await s.get("nothing");
    s.close();
    return { got, list, afterDelete, missing: missing ?? null };
  `);
  assert.deepEqual(r, { got: "state of a, epoch 2", list: ["group/a", "group/b"], afterDelete: ["group/a"], missing: null });
  await load();
  assert.equal(await run(`const s = await KS.open({ name: "ks-basic" }); const v = text(await s.get("group/a")); s.close(); return v;`), "state of a, epoch 2");
});

test("records are encrypted at rest, bound to their name, under a non-extractable key", async () => {
  const r = await run<{
    plaintextFound: boolean;
    shape: string[];
    moved: string;
    exportError: string;
    extractable: boolean;
    algorithm: string;
    tampered: string;
  }>(`
    const s = await KS.open({ name: "ks-rest" });
    const secret = "TOP-SECRET-MLS-STATE-" + "x".repeat(40);
    await s.put("group/one", bytes(secret));
    await s.put("group/two", bytes("other"));
    s.close();
    const records = await raw("ks-rest", "keys");
    const hay = records.map((rec) => new TextDecoder("latin1").decode(rec.data) + new TextDecoder("latin1").decode(rec.iv)).join("");
    const shape = Object.keys(records[0]).sort();
    // Copy group/one's record over group/two: the name is associated data, so it must not open.
    await rawPut("ks-rest", "keys", "group/two", await rawGet("ks-rest", "keys", "group/one"));
    const s2 = await KS.open({ name: "ks-rest" });
    const moved = await s2.get("group/two").then(() => "opened", (e) => e.message);
    const rec = await rawGet("ks-rest", "keys", "group/one");
    rec.data[3] ^= 1;
    await rawPut("ks-rest", "keys", "group/one", rec);
    const tampered = await s2.get("group/one").then(() => "opened", (e) => e.message);
    s2.close();
    const [key] = await raw("ks-rest", "meta");
    const exportError = await crypto.subtle.exportKey("raw", key).then(() => "exported", (e) => e.name);
    return { plaintextFound: hay.includes("TOP-SECRET"), shape, moved, exportError, extractable: key.extractable, algorithm: key.algorithm.name + "-" + key.algorithm.length, tampered };
  `);
  assert.equal(r.plaintextFound, false, "no plaintext in the stored records");
  assert.deepEqual(r.shape, ["data", "iv", "v"]);
  assert.match(r.moved, /failed authentication/);
  assert.match(r.tampered, /failed authentication/);
  assert.equal(r.exportError, "InvalidAccessError");
  assert.equal(r.extractable, false);
  assert.equal(r.algorithm, "AES-GCM-256");
});

test("concurrent first opens share one key; sealed data is bound to its name and domain", async () => {
  const r = await run<{ cross: string; keys: number; unsealed: string; wrongName: string; asKey: string }>(`
    const [a, b] = await Promise.all([KS.open({ name: "ks-race" }), KS.open({ name: "ks-race" })]);
    await a.put("k", bytes("written by a"));
    const cross = text(await b.get("k"));
    const keys = (await raw("ks-race", "meta")).length;
    const sealed = await a.seal("events/c1/1", bytes("hello history"));
    const unsealed = text(await b.unseal("events/c1/1", sealed));
    const wrongName = await b.unseal("events/c1/2", sealed).then(() => "opened", (e) => e.message);
    // A key-store record's bytes cannot be opened as sealed data of the same name (separate AAD domains).
    const rec = await rawGet("ks-race", "keys", "k");
    const joined = new Uint8Array(rec.iv.length + rec.data.length); joined.set(rec.iv); joined.set(rec.data, rec.iv.length);
    const asKey = await a.unseal("k", joined).then(() => "opened", (e) => e.message);
    a.close(); b.close();
    return { cross, keys, unsealed, wrongName, asKey };
  `);
  assert.equal(r.cross, "written by a");
  assert.equal(r.keys, 1);
  assert.equal(r.unsealed, "hello history");
  assert.match(r.wrongName, /failed authentication/);
  assert.match(r.asKey, /failed authentication/);
});

test("a Web Worker uses the same store; wipe deletes keys and the at-rest key", async () => {
  const r = await run<{ fromWorker: number[]; afterWipe: number; meta: number }>(`
    const w = new Worker("/worker.js", { type: "module" });
    await new Promise((resolve, reject) => { w.onmessage = resolve; w.onerror = (e) => reject(new Error(e.message)); w.postMessage({ db: "ks-worker" }); });
    w.terminate();
    const s = await KS.open({ name: "ks-worker" });
    const fromWorker = [...(await s.get("from-worker"))];
    s.close();
    await KS.wipe({ name: "ks-worker" });
    const s2 = await KS.open({ name: "ks-worker" });
    const afterWipe = (await s2.list("")).length;
    s2.close();
    return { fromWorker, afterWipe, meta: (await raw("ks-worker", "meta")).length };
  `);
  assert.deepEqual(r, { fromWorker: [7, 7, 7], afterWipe: 0, meta: 1 });
  assert.deepEqual(errors, []);
});
