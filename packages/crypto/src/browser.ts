/**
 * `@parley/crypto/browser`: browser-only parts — the IndexedDB key store,
 * encrypted at rest under a non-extractable WebCrypto key (pages and Web Workers).
 * @packageDocumentation
 */
export { BrowserKeyStore, type BrowserKeyStoreOptions } from "./browser-key-store.ts";
