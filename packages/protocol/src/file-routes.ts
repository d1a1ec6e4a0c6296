/**
 * Encrypted file routes (issue 3): resumable upload and download of
 * attachment ciphertext.
 */
export const fileRoutes = {} as const;
