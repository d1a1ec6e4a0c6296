// The identity bytes inside every Parley MLS Basic credential, and the server-signed
// device-directory binding clients check each leaf against. Pure: no keys held here.
import { ed25519 } from "@noble/curves/ed25519.js";
import { Id } from "@parley/protocol";
import { concat, fromUtf8, lengthPrefixed, u64, utf8 } from "./bytes.ts";
import { E2eeError } from "./errors.ts";

/**
 * What a credential's identity bytes name. Encoded as UTF-8 text so it reads well in
 * logs and debuggers:
 * - a device leaf: `parley/1/device/<orgId>/<userId>/<deviceId>`
 * - the server as MLS external sender: `parley/1/server/<orgId>`
 *
 * Ids follow the protocol's `Id` rule (`[A-Za-z0-9_-]{1,64}`), so `/` never occurs inside
 * a field and the split is unambiguous.
 */
export type CredentialIdentity = { kind: "device"; orgId: string; userId: string; deviceId: string } | { kind: "server"; orgId: string };

const PREFIX = "parley/1/";

function checkId(what: string, v: string): void {
  if (!Id.safeParse(v).success) throw new E2eeError("bad_input", `${what} is not a valid id`);
}

/** Encodes a {@link CredentialIdentity} to the identity bytes of an MLS Basic credential. */
export function encodeCredentialIdentity(identity: CredentialIdentity): Uint8Array {
  checkId("orgId", identity.orgId);
  if (identity.kind === "server") return utf8(`${PREFIX}server/${identity.orgId}`);
  checkId("userId", identity.userId);
  checkId("deviceId", identity.deviceId);
  return utf8(`${PREFIX}device/${identity.orgId}/${identity.userId}/${identity.deviceId}`);
}

/**
 * Parses credential identity bytes written by {@link encodeCredentialIdentity}.
 * @throws E2eeError `bad_input` for anything else (foreign or malformed credentials).
 */
export function parseCredentialIdentity(bytes: Uint8Array): CredentialIdentity {
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch {
    throw new E2eeError("bad_input", "credential identity is not UTF-8");
  }
  if (!text.startsWith(PREFIX)) throw new E2eeError("bad_input", "not a Parley credential");
  const parts = text.slice(PREFIX.length).split("/");
  const ok = (xs: string[]) => xs.every((x) => Id.safeParse(x).success);
  if (parts[0] === "device" && parts.length === 4 && ok(parts.slice(1))) {
    return { kind: "device", orgId: parts[1]!, userId: parts[2]!, deviceId: parts[3]! };
  }
  if (parts[0] === "server" && parts.length === 2 && ok(parts.slice(1))) {
    return { kind: "server", orgId: parts[1]! };
  }
  throw new E2eeError("bad_input", "malformed Parley credential identity");
}

/** The fields the device directory vouches for: this MLS signature key belongs to this device. */
export interface BindingFields {
  /** Org the device belongs to. */
  orgId: string;
  /** Owner of the device. */
  userId: string;
  /** The device. */
  deviceId: string;
  /** The device's MLS signature public key (Ed25519, 32 bytes). */
  signaturePublicKey: Uint8Array;
}

/** A device-directory binding: {@link BindingFields} plus the server's Ed25519 signature over {@link encodeBinding}. */
export interface DeviceBinding extends BindingFields {
  /** Ed25519 signature (64 bytes) by the server's directory key. */
  signature: Uint8Array;
}

const BINDING_LABEL = utf8("parley-device-binding/1");

/**
 * Canonical bytes the server signs: each field (label, orgId, userId, deviceId, key)
 * prefixed by its 2-byte big-endian length, so no two different tuples encode alike.
 */
export function encodeBinding(fields: BindingFields): Uint8Array {
  checkId("orgId", fields.orgId);
  checkId("userId", fields.userId);
  checkId("deviceId", fields.deviceId);
  return concat(
    lengthPrefixed(BINDING_LABEL),
    lengthPrefixed(utf8(fields.orgId)),
    lengthPrefixed(utf8(fields.userId)),
    lengthPrefixed(utf8(fields.deviceId)),
    lengthPrefixed(fields.signaturePublicKey),
  );
}

/** Server side: signs a binding with the directory's Ed25519 private key (32-byte seed). */
export function signBinding(serverPrivateKey: Uint8Array, fields: BindingFields): DeviceBinding {
  return { ...fields, signaturePublicKey: fields.signaturePublicKey, signature: ed25519.sign(encodeBinding(fields), serverPrivateKey) };
}

/** Client side: true when `binding.signature` is the server's valid signature over the binding's fields. */
export function verifyBinding(binding: DeviceBinding, serverPublicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(binding.signature, encodeBinding(binding), serverPublicKey);
  } catch {
    return false; // malformed key or signature lengths
  }
}

/** A directory key as the server lists it: a new one carries the signature of the key it replaced. */
export interface DirectoryKeyFields {
  /** The server's id of the key (server_keys row). */
  id: string;
  /** Ed25519 public key, 32 bytes. */
  publicKey: Uint8Array;
  /** When the key was made (ms). */
  createdAt: number;
}

const ENDORSEMENT_LABEL = utf8("parley-directory-key/1");

/** Canonical bytes a directory key signs to endorse its successor: label, id, key (length-prefixed), creation time (u64). */
function encodeDirectoryEndorsement(next: DirectoryKeyFields): Uint8Array {
  checkId("id", next.id);
  return concat(lengthPrefixed(ENDORSEMENT_LABEL), lengthPrefixed(utf8(next.id)), lengthPrefixed(next.publicKey), u64(BigInt(next.createdAt)));
}

/** Server side: the outgoing directory key (32-byte seed) signs its successor, so devices that pinned it trust the new one. */
export function endorseDirectoryKey(previousPrivateKey: Uint8Array, next: DirectoryKeyFields): Uint8Array {
  return ed25519.sign(encodeDirectoryEndorsement(next), previousPrivateKey);
}

/** Client side: true when `signature` is `previousPublicKey`'s endorsement of `next`. */
export function verifyDirectoryEndorsement(signature: Uint8Array, previousPublicKey: Uint8Array, next: DirectoryKeyFields): boolean {
  try {
    return ed25519.verify(signature, encodeDirectoryEndorsement(next), previousPublicKey);
  } catch {
    return false; // malformed key or signature lengths
  }
}

/** Generates an Ed25519 key pair for the server's directory / external-sender key (tests and `platform/kms`). */
export function generateServerSigningKey(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const privateKey = ed25519.utils.randomSecretKey();
  return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
}
