/** Self-signed certificates for 127.0.0.1 made with Debian's openssl (TLS tests), and an HTTPS peek at what a server presents. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";

export interface TestCert {
  cert: string;
  key: string;
  /** The certificate PEM (to trust it as a CA). */
  pem: string;
}

/** A new key and self-signed certificate for 127.0.0.1, written under `dir` as NAME.crt / NAME.key. */
export function makeCert(dir: string, name: string): TestCert {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        `/CN=${name}`,
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "pipe" },
    );
  } catch (err) {
    throw new Error(`openssl could not make a test certificate (apt-get install openssl): ${(err as Error).message}`, { cause: err });
  }
  return { cert, key, pem: fs.readFileSync(cert, "utf8") };
}

export function certDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "parley-tls-"));
}

/** GET `url` over a fresh TLS connection trusting `ca`: the status and the subject CN the server presented. */
export function httpsPeek(url: string, ca: string | string[]): Promise<{ status: number; cn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, agent: false }, (res) => {
      const peer = (res.socket as import("node:tls").TLSSocket).getPeerCertificate();
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, cn: String(peer.subject?.CN ?? "") }));
    });
    req.on("error", reject);
  });
}

/**
 * A "first" and a "renewed" certificate in a new directory, and the live pair a server is
 * configured with (a copy of "first"): `install(c)` copies another pair over it, as a renewal does.
 */
export function renewableCert(): { dir: string; first: TestCert; renewed: TestCert; live: { cert: string; key: string }; install(c: TestCert): void } {
  const dir = certDir();
  const first = makeCert(dir, "first");
  const renewed = makeCert(dir, "renewed");
  const live = { cert: path.join(dir, "live.crt"), key: path.join(dir, "live.key") };
  const install = (c: TestCert) => {
    fs.copyFileSync(c.cert, live.cert);
    fs.copyFileSync(c.key, live.key);
  };
  install(first);
  return { dir, first, renewed, live, install };
}
