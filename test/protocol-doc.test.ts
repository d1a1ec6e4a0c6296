/**
 * docs/protocol.md describes every WebSocket frame, error code and close code
 * of the protocol package: adding one without documenting it fails here.
 */
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { ClientFrame, ServerFrame, CLOSE_CODES, ERROR_STATUS, isRetryableCode, type ErrorCode } from "@parley/protocol";

const doc = fs.readFileSync(new URL("../docs/protocol.md", import.meta.url), "utf8");

/** The `t` values of a discriminated union of frames. */
function frameTypes(union: { options: ReadonlyArray<{ shape: { t: { value: unknown } } }> }): string[] {
  const types = union.options.map((o) => String(o.shape.t.value));
  assert.ok(types.length >= 6 && types.every((t) => t !== "undefined"), `could not read the frame types: ${types.join(",")}`);
  return types;
}

/** The text of the section that starts at `heading` and runs to the next heading of the same level. */
function section(heading: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `docs/protocol.md has no "${heading}" section`);
  const level = heading.split(" ")[0]!;
  const rest = doc.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n${level} `));
  return end < 0 ? rest : rest.slice(0, end);
}

test("every client -> server frame has its own heading under 'Client → server frames'", () => {
  const s = section("### Client → server frames");
  for (const t of frameTypes(ClientFrame as never))
    assert.match(s, new RegExp(`\\n#### \`${t.replace(".", "\\.")}\`\\n`), `client frame "${t}" is not documented`);
});

test("every server -> client frame has its own heading under 'Server → client frames'", () => {
  const s = section("### Server → client frames");
  for (const t of frameTypes(ServerFrame as never))
    assert.match(s, new RegExp(`\\n#### \`${t.replace(".", "\\.")}\`\\n`), `server frame "${t}" is not documented`);
});

test("the error code table lists every code with its status and retryability", () => {
  const s = section("### Error codes");
  const rows = new Map<string, string[]>();
  for (const line of s.split("\n")) {
    const m = /^\| `([a-z_]+)` \| (.+)$/.exec(line);
    if (m)
      rows.set(
        m[1]!,
        m[2]!.split("|").map((c) => c.trim()),
      );
  }
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    const row = rows.get(code);
    assert.ok(row, `error code "${code}" is not in the table`);
    assert.equal(row[0], String(status), `${code}: status`);
    assert.equal(row[1], isRetryableCode(code as ErrorCode) ? "yes" : "no", `${code}: retryable`);
  }
  for (const code of rows.keys()) assert.ok(code in ERROR_STATUS, `the table lists "${code}", which errors.ts does not have`);
});

test("the close code table lists every CLOSE_CODES entry", () => {
  const s = section("### Close codes");
  for (const [name, code] of Object.entries(CLOSE_CODES)) {
    assert.match(s, new RegExp(`\\n\\| ${code} \\| \`${name}\` \\|`), `close code ${code} (${name}) is not in the table`);
  }
});
