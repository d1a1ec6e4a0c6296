/** A KMS failure: wrong or missing KEK, unreachable HSM, tampered record. Fails boot loudly. */
export class KmsError extends Error {
  override name = "KmsError";
}
