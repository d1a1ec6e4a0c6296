// The ts-mls upgrade watch (scripts/ts-mls-watch.ts), offline: semver ordering
// of the registry's versions against the pin, and the script's exit codes
// against a fake registry on 127.0.0.1 (never the real one).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { compareWithRegistry, describeComparison, pinnedVersion, type RegistryDocument } from "../scripts/ts-mls-watch/versions.ts";
import { freePort } from "./support/child.ts";

const repo = fileURLToPath(new URL("..", import.meta.url));

function doc(versions: string[], distTags: Record<string, string> = {}): RegistryDocument {
  return {
    "dist-tags": distTags,
    versions: Object.fromEntries(versions.map((v) => [v, {}])),
    time: Object.fromEntries(versions.map((v, i) => [v, `2026-0${1 + (i % 9)}-01T00:00:00.000Z`])),
  };
}

describe("ts-mls watch: versions", () => {
  test("prereleases order numerically (rc.9 < rc.10 < rc.11 < 2.0.0), and 1.x latest is older than the pin", () => {
    const c = compareWithRegistry(
      "2.0.0-rc.10",
      doc(["1.6.4", "2.0.0-rc.2", "2.0.0-rc.9", "2.0.0-rc.10", "2.1.0-beta.1", "2.0.0", "2.0.0-rc.11", "not-a-version"], {
        latest: "1.6.4",
        next: "2.0.0-rc.11",
      }),
    );
    assert.deepEqual(
      c.newer.map((v) => v.version),
      ["2.0.0-rc.11", "2.0.0", "2.1.0-beta.1"],
    );
    assert.deepEqual(c.newer[0]!.tags, ["next"]);
  });

  test("nothing newer: up to date", () => {
    const c = compareWithRegistry("2.0.0-rc.10", doc(["1.6.4", "2.0.0-rc.10"], { latest: "1.6.4" }));
    assert.deepEqual(c.newer, []);
    assert.deepEqual(describeComparison(c), [
      "ts-mls: pinned 2.0.0-rc.10 (packages/crypto/package.json); npm dist-tags: latest 1.6.4",
      "ts-mls: up to date: npm has nothing newer than 2.0.0-rc.10",
    ]);
  });

  test("the report names each newer version with its date, tags and deprecation, and the upgrade ADR", () => {
    const d = doc(["2.0.0-rc.10", "2.0.0-rc.11", "2.0.0"], { latest: "2.0.0" });
    d.versions!["2.0.0-rc.11"] = { deprecated: "use 2.0.0" };
    const lines = describeComparison(compareWithRegistry("2.0.0-rc.10", d));
    assert.match(lines[1]!, /2 newer version\(s\)/);
    assert.match(lines[2]!, /^ {2}2\.0\.0-rc\.11 \(2026-\d\d-01; deprecated: use 2\.0\.0\)$/);
    assert.match(lines[3]!, /^ {2}2\.0\.0 \(2026-\d\d-01; dist-tag latest\)$/);
    assert.match(lines[4]!, /docs\/adr\/0005-ts-mls-upgrade-path\.md/);
  });

  test("the pin is read from packages/crypto, bench pins the same, and a range is refused", () => {
    const pin = pinnedVersion(join(repo, "packages/crypto"));
    assert.match(pin, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
    assert.equal(pinnedVersion(join(repo, "bench")), pin, "bench/package.json pins the same ts-mls");
    const dir = mkdtempSync(join(tmpdir(), "parley-ts-mls-watch-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ dependencies: { "ts-mls": "^2.0.0-rc.10" } }));
      assert.throws(() => pinnedVersion(dir), /not one exact version/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ts-mls watch: the script against a fake registry", () => {
  let server: Server;
  let registry: string;
  let answer: { status: number; body: RegistryDocument | string } = { status: 200, body: {} };

  before(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === "/ts-mls" ? answer.status : 404, { "content-type": "application/json" });
      res.end(typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    registry = `http://127.0.0.1:${port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function run(registryUrl: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(repo, "scripts/ts-mls-watch.ts"), "--registry", registryUrl],
        { encoding: "utf8", timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
      );
    });
  }

  test("exit 10 and the list when a newer version is published", async () => {
    const pin = pinnedVersion(join(repo, "packages/crypto"));
    answer = { status: 200, body: doc([pin, "99.0.0-rc.1", "99.0.0"], { latest: "99.0.0" }) };
    const { code, stdout } = await run(registry);
    assert.equal(code, 10, stdout);
    assert.match(stdout, /2 newer version\(s\) on npm:\n {2}99\.0\.0-rc\.1 .*\n {2}99\.0\.0 .*dist-tag latest/);
  });

  test("exit 0 when nothing newer is published", async () => {
    answer = { status: 200, body: doc([pinnedVersion(join(repo, "packages/crypto"))]) };
    const { code, stdout } = await run(registry);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /up to date/);
  });

  test("exit 20 with one clear line when the registry fails or cannot be reached", async () => {
    answer = { status: 503, body: "unavailable" };
    const failed = await run(registry);
    assert.equal(failed.code, 20);
    assert.match(failed.stderr, /^ts-mls: cannot ask the npm registry .* \(.*HTTP 503\); nothing is known about newer versions/);
    const unreachable = await run(`http://127.0.0.1:${await freePort()}/`);
    assert.equal(unreachable.code, 20);
    assert.match(unreachable.stderr, /\(ECONNREFUSED\)/);
  });
});
