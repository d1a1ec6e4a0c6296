/**
 * PKCS#11 KEKs: AES-256 key objects inside an HSM token (SoftHSM2 in tests), reached
 * through the vendor's PKCS#11 module with pkcs11js. The keys are generated in the token
 * as sensitive and not extractable: data keys go in and out through C_Encrypt/C_Decrypt
 * (CKM_AES_GCM, a fresh 96-bit IV, the data key's id and scope as associated data), so a
 * KEK never leaves the HSM and a data key is in the clear only in the server's memory.
 *
 * Every KEK object carries the label PARLEY_PKCS11_KEY_LABEL and an 8-byte CKA_ID: a
 * 6-byte big-endian creation time (ms) and 2 random bytes, so the newest — the one that
 * wraps — is the highest id, and a rotation only adds an object (nothing is relabelled:
 * a crash halfway leaves a consistent token). Its KEK id is `p11:` and the CKA_ID in hex.
 *
 * A process loads a module and logs in to a token once (login state is per application
 * in PKCS#11): rings on the same module and slot share one session, counted, so a second
 * ring in the same process (tests) reuses the first one's login. Calls are synchronous
 * (pkcs11js): a wrap or unwrap is one short HSM round trip, made once per data key and node.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import type { PKCS11, Handle, Template } from "pkcs11js";
import type { Logger } from "../log.ts";
import type { Kek, KekInfo, KekRing } from "./kek.ts";
import { KmsError } from "./kms.ts";

type Lib = typeof import("pkcs11js");

export interface Pkcs11Options {
  /** Path of the PKCS#11 module (PARLEY_PKCS11_MODULE). */
  module: string;
  /** Token label (PARLEY_PKCS11_TOKEN), or `slot`. */
  token?: string | undefined;
  /** Slot id (PARLEY_PKCS11_SLOT). */
  slot?: number | undefined;
  pin: string;
  /** CKA_LABEL of the KEK objects. */
  keyLabel: string;
  /** Generate the KEK when the token holds none (PARLEY_PKCS11_CREATE_KEY). */
  createKey: boolean;
  log?: Logger | undefined;
}

interface Loaded {
  lib: Lib;
  p11: PKCS11;
  refs: number;
  sessions: Map<string, { handle: Handle; refs: number }>;
}

/** Modules this process has loaded and initialised, by path. */
const loaded = new Map<string, Loaded>();

/** The CKR_ name of a pkcs11js error (e.g. CKR_PIN_INCORRECT), or its message. */
function ckr(err: unknown): string {
  return err instanceof Error ? err.message.split("\n")[0]! : String(err);
}

const slotNumber = (slot: Handle) => Number(slot.readBigUInt64LE(0));

function loadModule(lib: Lib, module: string): Loaded {
  const have = loaded.get(module);
  if (have) {
    have.refs++;
    return have;
  }
  const p11 = new lib.PKCS11();
  try {
    p11.load(module);
  } catch (err) {
    throw new KmsError(
      `cannot load the PKCS#11 module ${module} (PARLEY_PKCS11_MODULE): ${ckr(err)}. Point PARLEY_PKCS11_MODULE at your HSM's PKCS#11 library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)`,
    );
  }
  try {
    p11.C_Initialize();
  } catch (err) {
    if ((err as { code?: number }).code !== lib.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      throw new KmsError(
        `the PKCS#11 module ${module} failed to initialise (${ckr(err)}): check its configuration (SoftHSM2: the file SOFTHSM2_CONF names and its token directory)`,
      );
    }
  }
  const l: Loaded = { lib, p11, refs: 1, sessions: new Map() };
  loaded.set(module, l);
  return l;
}

function releaseModule(module: string, l: Loaded): void {
  if (--l.refs > 0) return;
  loaded.delete(module);
  try {
    l.p11.C_Finalize();
  } catch {
    // Finalising a module that is going away anyway.
  }
}

/** The slot holding the configured token, or a KmsError naming what the module has instead. */
function findSlot(l: Loaded, o: Pkcs11Options): { slot: Handle; name: string } {
  let slots: Handle[];
  try {
    slots = l.p11.C_GetSlotList(true);
  } catch (err) {
    throw new KmsError(`the PKCS#11 module ${o.module} cannot list its slots (${ckr(err)})`);
  }
  const tokens = slots.map((slot) => ({ slot, label: l.p11.C_GetTokenInfo(slot).label.trim() }));
  const found = o.token !== undefined ? tokens.find((t) => t.label === o.token) : tokens.find((t) => slotNumber(t.slot) === o.slot);
  if (found) return { slot: found.slot, name: `PKCS#11 token "${found.label}" (slot ${slotNumber(found.slot)}, module ${o.module})` };
  const have = tokens.length ? tokens.map((t) => `"${t.label}" (slot ${slotNumber(t.slot)})`).join(", ") : "no token";
  const wanted = o.token !== undefined ? `no token labelled "${o.token}" (PARLEY_PKCS11_TOKEN)` : `no token in slot ${o.slot} (PARLEY_PKCS11_SLOT)`;
  throw new KmsError(
    `${wanted} in the PKCS#11 module ${o.module}, which has ${have}: correct the setting, or initialise the token (SoftHSM2: softhsm2-util --init-token --free --label LABEL)`,
  );
}

function login(l: Loaded, session: Handle, o: Pkcs11Options, name: string): void {
  try {
    l.p11.C_Login(session, l.lib.CKU_USER, o.pin);
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === l.lib.CKR_USER_ALREADY_LOGGED_IN) return;
    if (code === l.lib.CKR_PIN_INCORRECT) {
      throw new KmsError(
        `${name} refused the PIN (CKR_PIN_INCORRECT): correct PARLEY_PKCS11_PIN or PARLEY_PKCS11_PIN_FILE (repeated wrong PINs lock the token)`,
      );
    }
    if (code === l.lib.CKR_PIN_LOCKED) {
      throw new KmsError(`${name} has locked its user PIN (CKR_PIN_LOCKED): have the security officer reset it (SoftHSM2: softhsm2-util --init-pin)`);
    }
    throw new KmsError(`cannot log in to ${name}: ${ckr(err)}`);
  }
}

/**
 * A CKA_ID that sorts after every existing one (`newestHex`, the highest): 8 bytes, milliseconds
 * since the epoch, at least one past the newest key's, then 2 random bytes. The highest ID is the
 * active key, so a key made in the same millisecond as the last one (or with the clock set back)
 * must still sort above it — with the time alone, the random bytes decided, and a rotation kept
 * the old key active half the time.
 */
function newObjectId(newestHex: string | undefined): Buffer {
  const newest = newestHex && /^[0-9a-f]{12}/.test(newestHex) ? parseInt(newestHex.slice(0, 12), 16) : 0;
  const id = Buffer.alloc(8);
  id.writeUIntBE(Math.min(Math.max(Date.now(), newest + 1), 2 ** 48 - 1), 0, 6);
  crypto.randomBytes(2).copy(id, 6);
  // A key the HSM's own tools made may have any ID, e.g. "ff", above every time: the new one is
  // that ID and two random bytes more, which sorts right after it.
  if (newestHex !== undefined && id.toString("hex") <= newestHex) return Buffer.concat([Buffer.from(newestHex, "hex"), crypto.randomBytes(2)]);
  return id;
}

/** The attributes of a KEK in the token: AES-256, kept there, sensitive, never extractable, encrypt and decrypt only. */
export function kekTemplate(lib: Lib, label: string, id: Buffer): Template {
  return [
    { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
    { type: lib.CKA_KEY_TYPE, value: lib.CKK_AES },
    { type: lib.CKA_VALUE_LEN, value: 32 },
    { type: lib.CKA_TOKEN, value: true },
    { type: lib.CKA_PRIVATE, value: true },
    { type: lib.CKA_SENSITIVE, value: true },
    { type: lib.CKA_EXTRACTABLE, value: false },
    { type: lib.CKA_ENCRYPT, value: true },
    { type: lib.CKA_DECRYPT, value: true },
    { type: lib.CKA_WRAP, value: false },
    { type: lib.CKA_UNWRAP, value: false },
    { type: lib.CKA_LABEL, value: label },
    { type: lib.CKA_ID, value: id },
  ];
}

/** Codes after which a fresh session (and login) is worth one retry: the HSM restarted, a network HSM reconnected. */
const STALE_SESSION = ["CKR_SESSION_HANDLE_INVALID", "CKR_SESSION_CLOSED", "CKR_USER_NOT_LOGGED_IN", "CKR_DEVICE_REMOVED", "CKR_TOKEN_NOT_PRESENT"];

/** The configured token as a KekRing; throws one KmsError naming the module, slot or token when it cannot be used. */
export async function createPkcs11Ring(o: Pkcs11Options): Promise<KekRing> {
  const lib = (await import("pkcs11js")).default;
  const l = loadModule(lib, o.module);
  const { p11 } = l;
  let slot: Handle, name: string, slotKey: string;
  try {
    ({ slot, name } = findSlot(l, o));
    slotKey = slot.toString("hex");
    const shared = l.sessions.get(slotKey);
    if (shared) {
      shared.refs++;
    } else {
      const handle = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
      try {
        login(l, handle, o, name);
      } catch (err) {
        p11.C_CloseSession(handle);
        throw err;
      }
      l.sessions.set(slotKey, { handle, refs: 1 });
    }
  } catch (err) {
    releaseModule(o.module, l);
    throw err instanceof KmsError ? err : new KmsError(`cannot open a session with the PKCS#11 module ${o.module}: ${ckr(err)}`);
  }

  /** Run `fn` with the shared session; once more with a new one if the HSM dropped it. */
  const withSession = <T>(fn: (s: Handle) => T): T => {
    const entry = l.sessions.get(slotKey)!;
    try {
      return fn(entry.handle);
    } catch (err) {
      if (!STALE_SESSION.some((c) => ckr(err).startsWith(c))) throw err;
      o.log?.warn({ err: ckr(err), token: name }, "the HSM session was lost; opening a new one");
      entry.handle = p11.C_OpenSession(slot, lib.CKF_SERIAL_SESSION | lib.CKF_RW_SESSION);
      login(l, entry.handle, o, name);
      return fn(entry.handle);
    }
  };

  /** KEK objects (handle, CKA_ID in hex), newest first. */
  const objects = (s: Handle): Array<{ handle: Handle; id: string }> => {
    p11.C_FindObjectsInit(s, [
      { type: lib.CKA_CLASS, value: lib.CKO_SECRET_KEY },
      { type: lib.CKA_LABEL, value: o.keyLabel },
    ]);
    let handles: Handle[];
    try {
      handles = p11.C_FindObjects(s, 1000);
    } finally {
      p11.C_FindObjectsFinal(s);
    }
    return handles
      .map((handle) => ({ handle, id: (p11.C_GetAttributeValue(s, handle, [{ type: lib.CKA_ID }])[0]?.value ?? Buffer.alloc(0)).toString("hex") }))
      .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  };

  const gcm = (iv: Buffer, aad: string) => ({
    mechanism: lib.CKM_AES_GCM,
    parameter: { type: lib.CK_PARAMS_AES_GCM, iv, ivBits: 96, aad: Buffer.from(aad, "utf8"), tagBits: 128 },
  });

  const kekOf = (objectId: string): Kek => {
    const handleOf = (s: Handle) => {
      const h = objects(s).find((x) => x.id === objectId)?.handle;
      if (!h) throw new KmsError(`${name} no longer holds KEK p11:${objectId}`);
      return h;
    };
    return {
      id: `p11:${objectId}`,
      async wrap(dek, aad) {
        const iv = crypto.randomBytes(12);
        const out = withSession((s) => {
          p11.C_EncryptInit(s, gcm(iv, aad), handleOf(s));
          return p11.C_Encrypt(s, Buffer.from(dek), Buffer.alloc(dek.length + 16));
        });
        return Buffer.concat([iv, out]).toString("base64");
      },
      async unwrap(wrapped, aad) {
        const buf = Buffer.from(wrapped, "base64");
        if (buf.length < 28) throw new KmsError("wrapped data key is truncated");
        try {
          return withSession((s) => {
            p11.C_DecryptInit(s, gcm(buf.subarray(0, 12), aad), handleOf(s));
            return Buffer.from(p11.C_Decrypt(s, buf.subarray(12), Buffer.alloc(buf.length)));
          });
        } catch (err) {
          if (err instanceof KmsError) throw err;
          // SoftHSM2 reports a bad tag as CKR_GENERAL_ERROR, others as CKR_ENCRYPTED_DATA_INVALID.
          throw new KmsError(`${name} could not unwrap a data key with KEK p11:${objectId} (${ckr(err)}): altered, or moved from another record`);
        }
      },
    };
  };

  const generate = (): Kek => {
    const id = newObjectId(withSession(objects)[0]?.id);
    withSession((s) => p11.C_GenerateKey(s, { mechanism: lib.CKM_AES_KEY_GEN }, kekTemplate(lib, o.keyLabel, id)));
    o.log?.info({ token: name, kek: `p11:${id.toString("hex")}` }, "generated a KMS key-encryption key in the HSM");
    return kekOf(id.toString("hex"));
  };

  const release = () => {
    const entry = l.sessions.get(slotKey);
    if (entry && --entry.refs === 0) {
      l.sessions.delete(slotKey);
      try {
        p11.C_Logout(entry.handle);
        p11.C_CloseSession(entry.handle);
      } catch {
        // The HSM may be gone already; nothing to give back then.
      }
    }
    releaseModule(o.module, l);
  };

  try {
    if (withSession(objects).length === 0) {
      if (!o.createKey) {
        throw new KmsError(
          `${name} holds no AES key labelled "${o.keyLabel}" (PARLEY_PKCS11_KEY_LABEL): set PARLEY_PKCS11_CREATE_KEY=true for the first start to generate it in the token, or generate an AES-256 key with that label (sensitive, not extractable, CKA_ENCRYPT and CKA_DECRYPT) with the HSM's own tools`,
        );
      }
      generate();
    }
  } catch (err) {
    release();
    throw err instanceof KmsError ? err : new KmsError(`${name}: ${ckr(err)}`);
  }

  return {
    kind: "pkcs11",
    where: name,
    async active() {
      const newest = withSession(objects)[0];
      if (!newest) throw new KmsError(`${name} holds no AES key labelled "${o.keyLabel}" any more`);
      return kekOf(newest.id);
    },
    async get(id) {
      if (!id.startsWith("p11:")) return undefined;
      const objectId = id.slice(4);
      return withSession(objects).some((x) => x.id === objectId) ? kekOf(objectId) : undefined;
    },
    async list(): Promise<KekInfo[]> {
      return withSession(objects).map((x, i) => ({ id: `p11:${x.id}`, active: i === 0, source: "pkcs11" }));
    },
    async create() {
      return generate();
    },
    async destroy(id) {
      const all = withSession(objects);
      if (all[0] && `p11:${all[0].id}` === id) throw new KmsError(`KEK ${id} is the active one in ${name}: rotate first`);
      const target = all.find((x) => `p11:${x.id}` === id);
      if (target) withSession((s) => p11.C_DestroyObject(s, target.handle));
    },
    close: release,
  };
}

/** The PIN from PARLEY_PKCS11_PIN or the file PARLEY_PKCS11_PIN_FILE names. */
export function readPin(pin: string | undefined, pinFile: string | undefined): string {
  if (pin !== undefined) return pin;
  if (pinFile === undefined) throw new KmsError("PARLEY_KMS=pkcs11 needs the token's user PIN: set PARLEY_PKCS11_PIN or PARLEY_PKCS11_PIN_FILE");
  try {
    return fs.readFileSync(pinFile, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new KmsError(`cannot read the PKCS#11 PIN file ${pinFile} (PARLEY_PKCS11_PIN_FILE): ${(err as Error).message}`);
  }
}
