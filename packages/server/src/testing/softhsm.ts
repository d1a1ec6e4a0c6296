/**
 * A real SoftHSM2 token (Debian `softhsm2`) for KMS tests, in a temp dir of its own: a
 * softhsm2.conf naming a private token directory, a token initialised with
 * softhsm2-util. The system token directory is never touched. SoftHSM reads the file
 * SOFTHSM2_CONF names when the module initialises, so this process's env points there
 * (one token per test file: a module stays initialised while a server uses it) and
 * child processes get it through `env`. Installs softhsm2 with apt-get when it is
 * missing and we are root; otherwise fails with one line saying what to install.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import type { ConfigInput } from "../config/schema.ts";

export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const UTIL = "/usr/bin/softhsm2-util";
const APT_GET = "/usr/bin/apt-get";

export interface TestHsm {
  /** The token's label. */
  label: string;
  pin: string;
  /** Its slot id, as PARLEY_PKCS11_SLOT takes it. */
  slot: number;
  /** Server config selecting this token (PARLEY_KMS=pkcs11, PARLEY_PKCS11_CREATE_KEY=true). */
  config: ConfigInput;
  /** The same as PARLEY_* environment variables, plus SOFTHSM2_CONF, for a `parley` child process. */
  env: Record<string, string>;
  /** Remove the temp dir (and restore SOFTHSM2_CONF). */
  cleanup(): void;
}

function ensureInstalled(): void {
  if (fs.existsSync(SOFTHSM_MODULE) && fs.existsSync(UTIL)) return;
  if (process.getuid?.() === 0 && fs.existsSync(APT_GET)) {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () => execFileSync(APT_GET, ["install", "-y", "-qq", "--no-install-recommends", "softhsm2"], { env, stdio: "ignore" });
    try {
      install();
    } catch {
      execFileSync(APT_GET, ["update", "-qq"], { env, stdio: "ignore" });
      install();
    }
    return;
  }
  throw new Error("the HSM tests need Debian's SoftHSM2 (/usr/lib/softhsm/libsofthsm2.so): run 'sudo apt-get install -y softhsm2'");
}

/** A fresh token in its own temp dir. */
export function createTestHsm(opts: { label?: string; pin?: string } = {}): TestHsm {
  ensureInstalled();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-softhsm-"));
  const tokens = path.join(dir, "tokens");
  fs.mkdirSync(tokens);
  const conf = path.join(dir, "softhsm2.conf");
  fs.writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const label = opts.label ?? "parley-test";
  const pin = opts.pin ?? "123456";
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const out = execFileSync(UTIL, ["--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "0123456789"], { env, encoding: "utf8" });
  const m = /reassigned to slot (\d+)/.exec(out);
  if (!m) throw new Error(`softhsm2-util did not say which slot it used: ${out}`);
  const previous = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = conf;
  return {
    label,
    pin,
    slot: Number(m[1]),
    config: { kms: "pkcs11", pkcs11Module: SOFTHSM_MODULE, pkcs11Token: label, pkcs11Pin: pin, pkcs11CreateKey: true },
    env: {
      SOFTHSM2_CONF: conf,
      PARLEY_KMS: "pkcs11",
      PARLEY_PKCS11_MODULE: SOFTHSM_MODULE,
      PARLEY_PKCS11_TOKEN: label,
      PARLEY_PKCS11_PIN: pin,
      PARLEY_PKCS11_CREATE_KEY: "true",
    },
    cleanup() {
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
