/**
 * How many allocations coturn holds, read from its telnet CLI (Debian's coturn has no
 * Prometheus exporter): sign in with the CLI password, `ps`, and take the "Total sessions: N"
 * line. The CLI listens on the host or pod network only (cli-ip), never exposed.
 */
import net from "node:net";
import { Gauge, type Registry } from "prom-client";

export interface TurnCli {
  host: string;
  port: number;
  password: string;
}

/** Parse `HOST:PORT` of PARLEY_TURN_CLI. */
export function turnCliOf(address: string, password: string): TurnCli {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(address.slice(i + 1)), password };
}

/** The number of TURN sessions (allocations) coturn reports; throws when the CLI does not answer within `ms`. */
export function readTurnAllocations(cli: TurnCli, ms = 2000): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(cli.port, cli.host);
    let out = "";
    let stage: "password" | "prompt" | "ps" = "password";
    const done = (err: Error | null, n?: number) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(n!);
    };
    const timer = setTimeout(() => done(new Error(`coturn's CLI at ${cli.host}:${cli.port} did not answer within ${ms} ms`)), ms);
    sock.on("error", (e) => done(e));
    sock.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (stage === "password" && /password:\s*$/i.test(out)) {
        stage = "prompt";
        out = "";
        sock.write(`${cli.password}\r\n`);
      } else if (stage === "prompt" && /> $/.test(out)) {
        stage = "ps";
        out = "";
        sock.write("ps\r\n");
      } else if (stage === "ps") {
        const m = /Total sessions: (\d+)/.exec(out);
        if (m) done(null, Number(m[1]));
      } else if (stage === "prompt" && /password:\s*$/i.test(out)) {
        done(new Error("coturn's CLI refused the password (PARLEY_TURN_CLI_PASSWORD)"));
      }
    });
  });
}

/**
 * Register `parley_turn_allocations` on `registry`: read from coturn's CLI at each scrape, NaN
 * (unknown) while the CLI does not answer, so a dashboard shows a gap rather than a false zero.
 */
export function registerTurnAllocationsGauge(registry: Registry, cli: TurnCli, onError: (err: Error) => void): void {
  new Gauge({
    name: "parley_turn_allocations",
    help: "TURN allocations coturn holds now (read from its CLI when scraped; NaN while it does not answer)",
    registers: [registry],
    async collect() {
      try {
        this.set(await readTurnAllocations(cli));
      } catch (err) {
        onError(err as Error);
        this.set(Number.NaN);
      }
    },
  });
}
