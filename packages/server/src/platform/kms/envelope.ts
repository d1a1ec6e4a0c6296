/**
 * The Kms over a KekRing: values sealed under per-org data keys (data-keys.ts).
 *
 * Sealed format `kms2:<data key id>:<base64 iv | tag | ciphertext>`, AES-256-GCM under the
 * data key with associated data "parley-kms/2|<scope>|<data key id>|<context>", so a value
 * opens only with its context and for its org. The older `kms1:` format (a JSON record
 * with a fresh data key per value wrapped by the key file, from before per-org keys)
 * still opens with the KEK that sealed it; nothing writes it any more.
 */
import type { Kysely } from "kysely";
import type { Database } from "../db/tables.ts";
import type { Logger } from "../log.ts";
import { createDataKeys, SERVER_SCOPE } from "./data-keys.ts";
import { gcmOpen, gcmSeal, type KekRing } from "./kek.ts";
import { KmsError, type Kms } from "./kms.ts";
import { createSigningKeys } from "./signing-keys.ts";

const V1 = "kms1:";
const V2 = "kms2:";

const aad = (scope: string, dataKeyId: string, context: string) => `parley-kms/2|${scope}|${dataKeyId}|${context}`;

export interface EnvelopeKmsOptions {
  ring: KekRing;
  db: Kysely<Database>;
  now(): number;
  /** PARLEY_KEY_REFRESH_SECONDS, in ms. */
  refreshMs: number;
  log?: Logger | undefined;
}

/** The Kms (see the file comment), with every data key already unwrapped: a missing KEK fails here, at boot. */
export async function createEnvelopeKms(opts: EnvelopeKmsOptions): Promise<Kms> {
  const { ring } = opts;
  const dataKeys = createDataKeys(opts);

  async function openV1(sealed: string, context: string): Promise<Uint8Array> {
    let rec: { kek: string; dek: string; data: string };
    try {
      rec = JSON.parse(sealed.slice(V1.length)) as typeof rec;
    } catch {
      throw new KmsError(`${context}: malformed sealed value`);
    }
    const kek = await ring.get(rec.kek);
    if (!kek) {
      throw new KmsError(
        `${context} was sealed with master key ${rec.kek}, which ${ring.where} does not hold: restore the original master key file (PARLEY_KMS_KEY_FILE)`,
      );
    }
    const dek = await kek.unwrap(rec.dek, `parley-kms-dek/1|${context}`);
    try {
      return new Uint8Array(gcmOpen(dek, rec.data, `parley-kms-data/1|${context}`));
    } finally {
      dek.fill(0);
    }
  }

  const kms: Kms = {
    kind: ring.kind,
    keks: ring,
    async seal(plaintext, context, scope = {}) {
      const dk = await dataKeys.active(scope.orgId ?? SERVER_SCOPE, scope.db);
      return `${V2}${dk.id}:${gcmSeal(dk.key, plaintext, aad(dk.scope, dk.id, context))}`;
    },
    async open(sealed, context, scope = {}) {
      if (sealed.startsWith(V1)) return openV1(sealed, context);
      if (!sealed.startsWith(V2)) throw new KmsError(`${context}: value is not sealed by the KMS`);
      const sep = sealed.indexOf(":", V2.length);
      if (sep < 0) throw new KmsError(`${context}: malformed sealed value`);
      const dk = await dataKeys.byId(sealed.slice(V2.length, sep), scope.db);
      const want = scope.orgId ?? SERVER_SCOPE;
      if (dk.scope !== want) throw new KmsError(`${context}: sealed for ${dk.scope === SERVER_SCOPE ? "the server" : "another org"}, not for ${want}`);
      try {
        return new Uint8Array(gcmOpen(dk.key, sealed.slice(sep + 1), aad(dk.scope, dk.id, context)));
      } catch (err) {
        throw new KmsError(`${context}: ${(err as Error).message}`);
      }
    },
    isSealed: (value) => value.startsWith(V2) || value.startsWith(V1),
    isLegacy: (value) => value.startsWith(V1),
    key: (purpose) => signing.key(purpose),
    rotateSigningKey: (purpose, retireAt) => signing.rotate(purpose, retireAt),
    shredOrg: (orgId, db) => dataKeys.shred(orgId, db),
    close: () => ring.close(),
  };
  const signing = createSigningKeys({ db: opts.db, kms, now: opts.now, refreshMs: opts.refreshMs, log: opts.log });
  const n = await dataKeys.warm();
  // The server-wide data key exists before any transaction needs it.
  await dataKeys.active(SERVER_SCOPE);
  opts.log?.debug({ kms: ring.where, dataKeys: n }, "KMS ready");
  return kms;
}
