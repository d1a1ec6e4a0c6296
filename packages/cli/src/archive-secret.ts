/**
 * Where an officer's copy of the compliance archive secret comes from (ADR 0008): M share
 * files (`--shares a.txt,b.txt`, Shamir M-of-N), or a file holding the secret wrapped by an
 * AES key inside the officer's HSM (`--hsm-wrapped FILE`; the token is named by the same
 * PARLEY_PKCS11_* variables the server uses, the key by PARLEY_ARCHIVE_KEY_LABEL, default
 * `parley-archive`). Either way the secret exists in the clear only in this process.
 */
import fs from "node:fs";
import { combineSecretShares } from "@parley/crypto";
import { str, type Opts } from "./command.ts";
import { CliError, UsageError } from "./errors.ts";

const list = (v: string) => [...new Set(v.split(",").map((s) => s.trim()))].filter(Boolean);

/** The HSM-wrapped secret file's content. */
interface WrappedSecret {
  format: "parley-archive-secret-hsm-1";
  orgId: string;
  /** The wrapping key's id in the token (`p11:<CKA_ID hex>`). */
  kek: string;
  wrapped: string;
}

const aadOf = (orgId: string) => `parley-archive-secret|${orgId}`;

async function archiveRing(env: NodeJS.ProcessEnv, create: boolean) {
  const { createPkcs11Ring, readPin } = await import("@parley/server");
  const module = env.PARLEY_PKCS11_MODULE;
  if (!module)
    throw new CliError(
      "hsm_unconfigured",
      "PARLEY_PKCS11_MODULE is not set",
      "name your HSM's PKCS#11 module, token (PARLEY_PKCS11_TOKEN) and PIN (PARLEY_PKCS11_PIN)",
    );
  try {
    return await createPkcs11Ring({
      module,
      token: env.PARLEY_PKCS11_TOKEN,
      slot: env.PARLEY_PKCS11_SLOT === undefined ? undefined : Number(env.PARLEY_PKCS11_SLOT),
      pin: readPin(env.PARLEY_PKCS11_PIN, env.PARLEY_PKCS11_PIN_FILE),
      keyLabel: env.PARLEY_ARCHIVE_KEY_LABEL ?? "parley-archive",
      createKey: create,
    });
  } catch (err) {
    const message = (err as Error).message.replace(/: set PARLEY_PKCS11_CREATE_KEY.*$/s, "");
    throw new CliError(
      "hsm_unavailable",
      message,
      create
        ? "check PARLEY_PKCS11_MODULE, PARLEY_PKCS11_TOKEN or PARLEY_PKCS11_SLOT, and the PIN"
        : "use the HSM token the archive secret was wrapped with (PARLEY_ARCHIVE_KEY_LABEL names its key), and check the PIN",
    );
  }
}

/** Wrap the secret with the HSM's archive key (created in the token if it has none) and write it to `file` (0600). */
export async function wrapArchiveSecret(secret: Uint8Array, orgId: string, env: NodeJS.ProcessEnv, file: string): Promise<void> {
  const ring = await archiveRing(env, true);
  try {
    const kek = await ring.active();
    const out: WrappedSecret = { format: "parley-archive-secret-hsm-1", orgId, kek: kek.id, wrapped: await kek.wrap(secret, aadOf(orgId)) };
    fs.writeFileSync(file, `${JSON.stringify(out)}\n`, { mode: 0o600, flag: "wx" });
  } finally {
    ring.close();
  }
}

async function unwrapArchiveSecret(file: string, env: NodeJS.ProcessEnv): Promise<Uint8Array> {
  let w: WrappedSecret;
  try {
    w = JSON.parse(fs.readFileSync(file, "utf8")) as WrappedSecret;
  } catch (err) {
    throw new CliError(
      "share_unreadable",
      `cannot read the HSM-wrapped secret ${file}: ${(err as Error).message}`,
      "pass the file `parley compliance archive init --hsm-out` wrote",
    );
  }
  if (w.format !== "parley-archive-secret-hsm-1")
    throw new CliError("shares_invalid", `${file} is not an HSM-wrapped archive secret`, "pass the file `parley compliance archive init --hsm-out` wrote");
  const ring = await archiveRing(env, false);
  try {
    const kek = await ring.get(w.kek);
    if (!kek)
      throw new CliError(
        "hsm_unavailable",
        `the HSM (${ring.where}) does not hold the key ${w.kek} that wrapped ${file}`,
        "use the token the archive was created with",
      );
    return new Uint8Array(await kek.unwrap(w.wrapped, aadOf(w.orgId)));
  } finally {
    ring.close();
  }
}

/** The archive secret from `--shares` or `--hsm-wrapped` (exactly one). */
export async function archiveSecretFrom(opts: Opts, env: NodeJS.ProcessEnv): Promise<Uint8Array> {
  const shares = str(opts, "shares");
  const wrapped = str(opts, "hsm-wrapped");
  if ((shares === undefined) === (wrapped === undefined))
    throw new UsageError("pass the archive secret as --shares F,F (M officers' share files) or --hsm-wrapped FILE");
  if (wrapped !== undefined) return unwrapArchiveSecret(wrapped, env);
  const texts = list(shares!).map((f) => {
    try {
      return fs.readFileSync(f, "utf8").trim();
    } catch (err) {
      throw new CliError(
        "share_unreadable",
        `cannot read the share file ${f}: ${(err as Error).message}`,
        "pass the share files the officers hold, comma-separated",
      );
    }
  });
  try {
    return combineSecretShares(texts);
  } catch (err) {
    throw new CliError(
      "shares_invalid",
      `the shares do not rebuild the archive secret: ${(err as Error).message}`,
      "bring enough shares of the same split (each officer's share file as written by `parley compliance archive init`)",
    );
  }
}
