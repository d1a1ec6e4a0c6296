// Reads the leaves of the ratchet tree carried in a GroupInfo (ratchet_tree extension,
// RFC 9420 §12.4.3.3) so the server can map devices to leaf indexes for its Remove
// proposals. ts-mls keeps that extension as raw bytes and does not export its tree
// decoder, so this is a small reader of the TLS presentation language: every field we
// skip is length-prefixed.
import { defaultExtensionTypes, wireformats } from "ts-mls";
import { parseCredentialIdentity, type CredentialIdentity } from "./credential.ts";
import { E2eeError } from "./errors.ts";
import { decodeMlsMessage } from "./wire.ts";

/** A leaf of a GroupInfo's tree. */
export interface TreeLeaf {
  leafIndex: number;
  identity: CredentialIdentity;
  signaturePublicKey: Uint8Array;
  /** The leaf's HPKE (encryption) public key: it changes whenever the device commits with a path. */
  encryptionKey: Uint8Array;
}

/** Internal: a reader of the TLS presentation language (RFC 9420 §2.1.2 variable-length vectors). */
export class Reader {
  pos = 0;
  readonly b: Uint8Array;
  constructor(b: Uint8Array) {
    this.b = b;
  }
  u8(): number {
    if (this.pos >= this.b.length) throw new E2eeError("invalid_message", "truncated ratchet tree");
    return this.b[this.pos++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  skip(n: number): void {
    if (this.pos + n > this.b.length) throw new E2eeError("invalid_message", "truncated ratchet tree");
    this.pos += n;
  }
  varint(): number {
    const first = this.u8();
    const prefix = first >> 6;
    if (prefix === 0) return first & 0x3f;
    if (prefix === 1) return ((first & 0x3f) << 8) | this.u8();
    if (prefix === 2) return (first & 0x3f) * 2 ** 24 + (this.u8() << 16) + (this.u8() << 8) + this.u8();
    throw new E2eeError("invalid_message", "bad varint");
  }
  vec(): Uint8Array {
    const n = this.varint();
    const start = this.pos;
    this.skip(n);
    return this.b.subarray(start, start + n);
  }
}

/** Internal: a non-blank leaf of an encoded ratchet tree, its credential still raw. */
export interface RawTreeLeaf {
  leafIndex: number;
  signaturePublicKey: Uint8Array;
  /** The leaf's HPKE (encryption) public key. */
  encryptionKey: Uint8Array;
  /** credential_type (1 = basic). */
  credentialType: number;
  /** Basic: the identity bytes; X.509: the encoded certificate list. */
  credentialData: Uint8Array;
}

/**
 * The device leaves of the tree inside a GroupInfo (MLSMessage bytes) created with the
 * ratchet tree (every GroupInfo this package produces has it).
 */
export function groupInfoMembers(groupInfo: Uint8Array): TreeLeaf[] {
  const msg = decodeMlsMessage(groupInfo);
  if (msg.wireformat !== wireformats.mls_group_info) throw new E2eeError("bad_input", "not a GroupInfo");
  const ext = msg.groupInfo.extensions.find((e) => e.extensionType === defaultExtensionTypes.ratchet_tree);
  if (!ext) throw new E2eeError("bad_input", "GroupInfo carries no ratchet tree");
  const out: TreeLeaf[] = [];
  for (const leaf of treeLeaves(ext.extensionData as Uint8Array)) {
    if (leaf.credentialType !== 1) continue;
    try {
      out.push({
        leafIndex: leaf.leafIndex,
        identity: parseCredentialIdentity(leaf.credentialData),
        signaturePublicKey: leaf.signaturePublicKey,
        encryptionKey: leaf.encryptionKey,
      });
    } catch {
      // a foreign credential cannot be a Parley device: not listed
    }
  }
  return out;
}

/** Internal: the non-blank leaves of an encoded ratchet tree (RFC 9420 §12.4.3.3: `optional<Node> ratchet_tree<V>`). */
export function treeLeaves(tree: Uint8Array): RawTreeLeaf[] {
  const r = new Reader(new Reader(tree).vec());
  const out: RawTreeLeaf[] = [];
  for (let node = 0; r.pos < r.b.length; node++) {
    if (r.u8() === 0) continue; // blank node
    const type = r.u8();
    if (type === 2) {
      r.vec();
      r.vec();
      r.vec(); // encryption_key, parent_hash, unmerged_leaves
      continue;
    }
    if (type !== 1) throw new E2eeError("invalid_message", "bad node type");
    const encryptionKey = r.vec().slice();
    const signaturePublicKey = r.vec().slice();
    const credentialType = r.u16();
    const credentialData = r.vec(); // basic: identity; x509: certificate list
    for (let i = 0; i < 5; i++) r.vec(); // capabilities
    const source = r.u8();
    if (source === 1)
      r.skip(16); // lifetime
    else if (source === 3) r.vec(); // parent_hash
    r.vec(); // extensions
    r.vec(); // signature
    out.push({ leafIndex: node / 2, signaturePublicKey, encryptionKey, credentialType, credentialData: credentialData.slice() });
  }
  return out;
}
