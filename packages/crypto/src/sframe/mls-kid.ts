// KIDs of the MLS scheme (RFC 9605 §5.2): KID = context << (S + E) | sender_index << E |
// epoch mod 2^E. Parley fixes E = 4 (a receiver keeps far fewer than 16 epochs, so the low
// bits name one of them) and S = 16 (leaf indices below 65,536). The context is chosen by
// the sender: a random 32-bit value per sending context, so that a device that sends again
// in the same epoch (a second call, a reload, a rejoin) never repeats a (KID, CTR) pair.

/** Epoch bits in a KID. */
export const KID_EPOCH_BITS = 4n;
/** Sender-index bits in a KID. */
const KID_INDEX_BITS = 16n;

/** The parts of an MLS-scheme KID. */
export interface MlsKid {
  epochBits: number;
  leafIndex: number;
  context: bigint;
}

/** The KID of sender `leafIndex` in `epoch` with `context`. Throws RangeError out of range. */
export function mlsKid(epoch: bigint, leafIndex: number, context: bigint = 0n): bigint {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= 1 << Number(KID_INDEX_BITS)) throw new RangeError("leaf index does not fit the KID");
  if (context < 0n || context >= 1n << (64n - KID_INDEX_BITS - KID_EPOCH_BITS)) throw new RangeError("KID context out of range");
  return (context << (KID_INDEX_BITS + KID_EPOCH_BITS)) | (BigInt(leafIndex) << KID_EPOCH_BITS) | (epoch & ((1n << KID_EPOCH_BITS) - 1n));
}

/** Split a KID into epoch bits, sender leaf index and context. */
export function parseMlsKid(kid: bigint): MlsKid {
  return {
    epochBits: Number(kid & ((1n << KID_EPOCH_BITS) - 1n)),
    leafIndex: Number((kid >> KID_EPOCH_BITS) & ((1n << KID_INDEX_BITS) - 1n)),
    context: kid >> (KID_INDEX_BITS + KID_EPOCH_BITS),
  };
}

/** A fresh random 32-bit sender context. */
export function randomKidContext(): bigint {
  const b = globalThis.crypto.getRandomValues(new Uint32Array(1));
  return BigInt(b[0]!);
}
