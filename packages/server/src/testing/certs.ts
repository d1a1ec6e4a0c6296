/**
 * Throwaway TLS material for test servers on 127.0.0.1 (SMTP with STARTTLS, slapd with
 * LDAPS/StartTLS): a self-signed P-256 certificate for CN and IP SAN 127.0.0.1, valid one
 * day, made by the system's openssl in `dir`.
 */
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";

export interface SelfSigned {
  keyFile: string;
  certFile: string;
  /** The key and certificate as PEM text. */
  key: string;
  cert: string;
}

export function selfSignedCertificate(dir: string): SelfSigned {
  const keyFile = path.join(dir, "key.pem");
  const certFile = path.join(dir, "cert.pem");
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"];
  args.push("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile);
  execFileSync("openssl", args, { stdio: "ignore" });
  return { keyFile, certFile, key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8") };
}
