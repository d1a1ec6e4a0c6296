// Archive copies (ADR 0007): the payload of a content event sealed under its epoch's
// history key, so any holder of that key reads it in any order without MLS state. The
// sender device signs the ciphertext (not the plaintext, which a public signature over
// its hash would let the server confirm by guessing), with MLS SignWithLabel.
import { sha256 } from "@noble/hashes/sha2.js";
import { ARCHIVE_COPY_SIGNATURE_BYTES, ARCHIVE_COPY_VERSION, parseArchiveFraming, type ArchiveFramingProblem } from "@parley/protocol";
import { concat, lengthPrefixed, u32, u64, utf8 } from "../bytes.ts";
import { E2eeError, type E2eeErrorCode } from "../errors.ts";
import { implOf, signaturePrivateKey, type DeviceIdentity } from "../identity.ts";
import { signContent } from "../inspect.ts";
import { SUITE_NAMES, type SuiteName } from "../suites.ts";
import { verifyEd25519Concurrently } from "#crypto-provider";
import { aesGcmOpen, aesGcmSeal, randomNonce } from "./aes-gcm.ts";

const SIGN_LABEL = "parley archive copy v1";
const AAD_LABEL = utf8("parley archive copy v1");

/** The event an archive copy belongs to: every field is bound by its AAD and signature. */
export interface ArchiveCopyContext {
  /** Org of the channel. */
  orgId: string;
  /** The channel. */
  channelId: string;
  /** Channel encryption generation (ADR 0006). */
  generation: number;
  /** MLS epoch whose history key seals the copy. */
  epoch: bigint;
  /** The event's client id (idempotency key). */
  clientId: string;
  /** Device that sent the event. */
  senderDeviceId: string;
}

function checkContext(c: ArchiveCopyContext): void {
  if (!Number.isInteger(c.generation) || c.generation < 0 || c.generation > 0xffffffff) throw new E2eeError("bad_input", "generation is not a u32");
  if (typeof c.epoch !== "bigint" || c.epoch < 0n || c.epoch > 0xffffffffffffffffn) throw new E2eeError("bad_input", "epoch is not a u64");
}

function header(c: ArchiveCopyContext): Uint8Array {
  return concat(Uint8Array.of(ARCHIVE_COPY_VERSION), u64(c.epoch), u32(c.generation));
}

// Ids that repeat across the copies of a page (org, channel, sending device), UTF-8 with their
// length prefix, kept (bounded) so a page of copies does not encode them once per copy.
const encodedIds = new Map<string, Uint8Array>();
const ENCODED_IDS_MAX = 4096;

function prefixedId(id: string): Uint8Array {
  let b = encodedIds.get(id);
  if (!b) {
    b = lengthPrefixed(utf8(id));
    if (encodedIds.size >= ENCODED_IDS_MAX) encodedIds.clear();
    encodedIds.set(id, b);
  }
  return b;
}

/** AAD: the framing fields before the nonce, then the event's ids (each with its two-byte length). */
function aadOf(c: ArchiveCopyContext): Uint8Array {
  return concat(AAD_LABEL, header(c), prefixedId(c.orgId), prefixedId(c.channelId), lengthPrefixed(utf8(c.clientId)), prefixedId(c.senderDeviceId));
}

/** What the sender signs (under SignWithLabel): org ‖ channel ‖ generation ‖ epoch ‖ clientId ‖ sender ‖ SHA-256(nonce ‖ ciphertext), the ids length-prefixed. */
function signedContent(c: ArchiveCopyContext, nonce: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return signContent(
    SIGN_LABEL,
    concat(
      prefixedId(c.orgId),
      prefixedId(c.channelId),
      u32(c.generation),
      u64(c.epoch),
      lengthPrefixed(utf8(c.clientId)),
      prefixedId(c.senderDeviceId),
      sha256.create().update(nonce).update(ciphertext).digest(),
    ),
  );
}

/** Internal (known-answer tests): {@link sealArchiveCopy} with a given nonce. */
export async function sealArchiveCopyWithNonce(
  params: Omit<ArchiveCopyContext, "orgId" | "senderDeviceId"> & { hk: Uint8Array; payload: Uint8Array; signer: DeviceIdentity },
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const { hk, payload, signer } = params;
  const c: ArchiveCopyContext = { ...params, orgId: signer.orgId, senderDeviceId: signer.deviceId };
  checkContext(c);
  const ciphertext = await aesGcmSeal(hk, nonce, aadOf(c), payload);
  const impl = await implOf(signer);
  const signature = await impl.signature.sign(signaturePrivateKey(signer), signedContent(c, nonce, ciphertext));
  if (signature.length !== ARCHIVE_COPY_SIGNATURE_BYTES) throw new E2eeError("invalid_state", "the device's signature scheme is not Ed25519");
  return concat(header(c), nonce, ciphertext, signature);
}

/**
 * Seals a content event's payload as its archive copy under the epoch's history key `hk`,
 * signed by `signer` (the sending device; org and sender id are the signer's).
 */
export function sealArchiveCopy(
  params: Omit<ArchiveCopyContext, "orgId" | "senderDeviceId"> & { hk: Uint8Array; payload: Uint8Array; signer: DeviceIdentity },
): Promise<Uint8Array> {
  return sealArchiveCopyWithNonce(params, randomNonce());
}

const FRAMING_CODES: Record<ArchiveFramingProblem, E2eeErrorCode> = {
  truncated: "archive_truncated",
  too_large: "archive_bad_framing",
  bad_version: "archive_bad_framing",
  wrong_epoch: "archive_wrong_epoch",
  wrong_generation: "archive_wrong_epoch",
};

/**
 * Checks and opens an archive copy of the event `context` names, sent by the device whose
 * MLS signature key is `senderSignaturePublicKey`. Returns the payload.
 * Errors (E2eeError): `archive_truncated`, `archive_bad_framing`, `archive_wrong_epoch`, `archive_bad_signature`, `archive_tampered`.
 */
export async function openArchiveCopy(
  params: ArchiveCopyContext & { hk: Uint8Array; bytes: Uint8Array; senderSignaturePublicKey: Uint8Array; suite: SuiteName; maxBytes?: number },
): Promise<Uint8Array> {
  const { framing, signed } = await checkCopy(params);
  if (!signed) throw new E2eeError("archive_bad_signature", "archive copy is not signed by its sender device for this event");
  return decryptCopy(params, params.hk, framing);
}

type Framing = { nonce: Uint8Array; ciphertext: Uint8Array; signature: Uint8Array };

/** Parses the framing against the event and checks the signature (false without a key). */
async function checkCopy(
  params: ArchiveCopyContext & { bytes: Uint8Array; senderSignaturePublicKey?: Uint8Array | undefined; suite: SuiteName; maxBytes?: number | undefined },
): Promise<{ framing: Framing; signed: boolean }> {
  checkContext(params);
  const parsed = parseArchiveFraming(params.bytes, { epoch: params.epoch, generation: params.generation, maxBytes: params.maxBytes });
  if (!parsed.ok) throw new E2eeError(FRAMING_CODES[parsed.problem], `archive copy refused: ${parsed.problem.replace("_", " ")}`);
  const { nonce, ciphertext, signature } = parsed.framing;
  // Every suite Parley offers signs with Ed25519 (checked when sealing); copies are opened many at once, off the calling thread.
  if (!SUITE_NAMES.includes(params.suite)) throw new E2eeError("bad_input", `unknown suite ${String(params.suite)}`);
  const key = params.senderSignaturePublicKey;
  const signed = key ? await verifyEd25519Concurrently(key, signedContent(params, nonce, ciphertext), signature).catch(() => false) : false;
  return { framing: { nonce, ciphertext, signature }, signed };
}

async function decryptCopy(c: ArchiveCopyContext, hk: Uint8Array, { nonce, ciphertext }: Framing): Promise<Uint8Array> {
  const payload = await aesGcmOpen(hk, nonce, aadOf(c), ciphertext);
  if (!payload) throw new E2eeError("archive_tampered", "archive copy failed authentication under the history key");
  return payload;
}

/**
 * For an eDiscovery export, which must keep and flag an event rather than drop it: checks the
 * sender device's signature (`signed`: false when it fails or no key is known) and, apart from
 * it, opens the copy with each of `hks` in turn (the first that opens gives `payload`; none
 * given or none opens: undefined). The AES-GCM tag still binds the payload to the event under
 * its history key; only the attribution to the sending device rests on `signed`. Devices use
 * {@link openArchiveCopy}, which opens nothing whose signature fails.
 * Errors (E2eeError): `archive_truncated`, `archive_bad_framing`, `archive_wrong_epoch`.
 */
export async function examineArchiveCopy(
  params: ArchiveCopyContext & { hks: readonly Uint8Array[]; bytes: Uint8Array; senderSignaturePublicKey?: Uint8Array | undefined; suite: SuiteName },
): Promise<{ signed: boolean; payload: Uint8Array | undefined }> {
  const { framing, signed } = await checkCopy(params);
  for (const hk of params.hks) {
    const payload = await decryptCopy(params, hk, framing).catch(() => undefined);
    if (payload) return { signed, payload };
  }
  return { signed, payload: undefined };
}
