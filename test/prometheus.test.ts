/**
 * What operators point Prometheus and Grafana at (docs/operations.md, Metrics and "Sizing,
 * topology, alerts"): a real server's /metrics passes Prometheus's own linter
 * (`promtool check metrics`, Debian's `prometheus` package, installed by scripts/test.sh),
 * deploy/prometheus/alerts.yml passes `promtool check rules` and its unit tests, and every
 * metric the alert rules and the Grafana dashboard name is one the server exports (with the
 * call media servers configured: a real coturn and Janus, so their gauges are exported too).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DIALECTS, startTestServer } from "@parley/server/testing/harness";
import { bootstrapOrg, makeUser } from "@parley/server/testing/factories";
import { startTestCoturn, type TestCoturn } from "@parley/server/testing/coturn";
import { startTestJanus, type TestJanus } from "@parley/server/testing/janus";

const ROOT = path.resolve(import.meta.dirname, "..");
const PROM = path.join(ROOT, "deploy", "prometheus");
const TOKEN = "promtool-metrics-token-0123456789";

function promtool(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync("promtool", args, { encoding: "utf8", cwd: PROM, ...(input === undefined ? {} : { input }) });
  if (r.error)
    throw new Error(
      `promtool is missing: install Debian's prometheus package (apt-get install -y --no-install-recommends prometheus; scripts/test.sh does as root)`,
    );
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Metric families in an exposition: name -> type. */
function families(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

/** The parley_* series names a PromQL text uses. */
function namesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\bparley_[a-z0-9_]+/g)].map((m) => m[0]));
}

/** Whether a series name belongs to an exported family (histograms expose _bucket/_sum/_count). */
function exported(name: string, fams: Map<string, string>): boolean {
  if (fams.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, "");
  return base !== name && ["histogram", "summary"].includes(fams.get(base) ?? "");
}

describe("deploy/prometheus", () => {
  before(() => {
    promtool(["--version"]);
  });

  it("alerts.yml passes promtool check rules and its unit tests; prometheus.yml passes check config", () => {
    for (const args of [
      ["check", "rules", "alerts.yml"],
      ["test", "rules", "alerts.test.yml"],
      ["check", "config", "prometheus.yml"],
    ]) {
      const r = promtool(args);
      assert.equal(r.status, 0, `promtool ${args.join(" ")}:\n${r.out}`);
    }
  });

  let coturn: TestCoturn;
  let janus: TestJanus;
  before(async () => {
    [coturn, janus] = await Promise.all([startTestCoturn(), startTestJanus()]);
  });
  after(async () => {
    await Promise.all([coturn?.stop(), janus?.stop()]);
  });
  const media = () => ({
    turnServer: `127.0.0.1:${coturn.port}`,
    turnSecret: coturn.secret,
    turnCli: `127.0.0.1:${coturn.cliPort}`,
    turnCliPassword: coturn.cliPassword,
    janusUrl: janus.url,
    janusApiSecret: janus.apiSecret,
    janusAdminKey: janus.adminKey,
  });

  for (const dialect of DIALECTS) {
    it(`a running server's /metrics passes promtool check metrics, and the rules and dashboard name only exported metrics (${dialect})`, async () => {
      const s = await startTestServer({ dialect, config: { metricsToken: TOKEN, ...media() } });
      try {
        // Some traffic, so labelled series (routes, commands, statuses) are in the output too.
        const owner = await bootstrapOrg(s);
        await makeUser(s, owner);
        assert.equal((await fetch(`${s.url}/api/v1/no-such-route`)).status, 404);
        const res = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(res.status, 200);
        const text = await res.text();
        assert.match(text, /parley_command_duration_seconds_count\{command="orgs\.runSetup"/);

        const lint = promtool(["check", "metrics"], text);
        assert.equal(lint.status, 0, `promtool check metrics:\n${lint.out}`);

        const fams = families(text);
        const alerts = fs.readFileSync(path.join(PROM, "alerts.yml"), "utf8");
        const dashboard = JSON.parse(fs.readFileSync(path.join(ROOT, "deploy", "grafana", "parley.json"), "utf8")) as {
          panels: { targets?: { expr: string }[] }[];
        };
        const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join("\n");
        for (const [where, names] of [
          ["alerts.yml", namesIn(alerts)],
          ["grafana/parley.json", namesIn(exprs)],
        ] as const) {
          assert.ok(names.size > 10, where);
          for (const name of names) assert.ok(exported(name, fams), `${where} uses ${name}, which /metrics does not export`);
        }
        // What operators must watch is covered by at least one alert each.
        for (const m of [
          "parley_fanout_latency_seconds",
          "parley_http_request_duration_seconds",
          "parley_jobs_dead_total",
          "parley_jobs_queued",
          "parley_db_latency_seconds",
          "parley_ws_connections",
        ]) {
          assert.match(alerts, new RegExp(`\\b${m}`), `an alert on ${m}`);
        }
      } finally {
        await s.stop();
      }
    });
  }
});
