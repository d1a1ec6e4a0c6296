/**
 * docs/security-model.md must list exactly what the server sees: every table
 * of a freshly migrated database (its own "#### `table`" section) with every
 * column named in that section, every REST route, and every WebSocket frame
 * type with each of its fields. A migration, route or frame that adds
 * something fails here until the page says how it is protected.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClientFrame, ServerFrame, routes } from "@parley/protocol";
import { openStorage } from "../packages/server/src/platform/db/index.ts";

const DOC = path.join(import.meta.dirname, "..", "docs", "security-model.md");
const doc = fs.readFileSync(DOC, "utf8");

/** The text of the "#### `name`" section, up to the next heading. */
function section(name: string): string | undefined {
  const start = doc.indexOf(`#### \`${name}\`\n`);
  if (start < 0) return undefined;
  const rest = doc.slice(start + 1);
  const end = rest.search(/\n#{2,4} /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** Section 2.4 (the frame tables), split into client->server and server->client. */
function frameTables(): { client: string; server: string } {
  const start = doc.indexOf("### 2.4");
  assert.ok(start >= 0, "docs/security-model.md has a §2.4 on WebSocket frames");
  const body = doc.slice(start, doc.indexOf("\n## ", start));
  const split = body.indexOf("Server → client");
  assert.ok(split > 0, "§2.4 has a server → client part");
  return { client: body.slice(0, split), server: body.slice(split) };
}

test("every table and column of the migrated schema is in docs/security-model.md", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-secdoc-"));
  const storage = openStorage({ dataDir: dir });
  try {
    await storage.migrate();
    const raw = storage.sqlite!;
    const tables = (
      raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'kysely_%' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    assert.ok(tables.length >= 20, `migrated tables: ${tables.join(", ")}`);
    const missing: string[] = [];
    for (const table of tables) {
      const text = section(table);
      if (!text) {
        missing.push(`table ${table} (no "#### \`${table}\`" section)`);
        continue;
      }
      const columns = (raw.prepare(`PRAGMA table_info("${table}")`).all() as { name: string }[]).map((c) => c.name);
      for (const c of columns) if (!text.includes(`\`${c}\``)) missing.push(`${table}.${c}`);
    }
    assert.deepEqual(missing, [], `docs/security-model.md does not cover: ${missing.join("; ")}`);
  } finally {
    await storage.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("every REST route is in docs/security-model.md", () => {
  const start = doc.indexOf("### 2.3");
  assert.ok(start >= 0, "docs/security-model.md has a §2.3 on REST routes");
  const text = doc.slice(start, doc.indexOf("### 2.4", start));
  const missing = Object.keys(routes).filter((name) => !text.includes(`\`${name}\``));
  assert.deepEqual(missing, [], `routes missing from §2.3: ${missing.join(", ")}`);
});

test("every WebSocket frame and each of its fields is in docs/security-model.md", () => {
  const { client, server } = frameTables();
  const missing: string[] = [];
  const check = (union: typeof ClientFrame | typeof ServerFrame, text: string, side: string) => {
    for (const option of union.options) {
      const shape = option.shape as Record<string, unknown> & { t: { value: string } };
      const t = shape.t.value;
      const row = text.split("\n").find((l) => l.startsWith(`| \`${t}\` |`));
      if (!row) {
        missing.push(`${side} frame ${t}`);
        continue;
      }
      for (const field of Object.keys(shape)) {
        if (field !== "t" && !row.includes(`\`${field}\``)) {
          missing.push(`${side} ${t}.${field}`);
        }
      }
    }
  };
  check(ClientFrame, client, "client");
  check(ServerFrame, server, "server");
  assert.deepEqual(missing, [], `frames/fields missing from §2.4: ${missing.join(", ")}`);
});
