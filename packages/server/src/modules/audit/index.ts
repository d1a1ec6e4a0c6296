/** modules/audit: the tamper-evident audit log (docs/audit.md). */
export { appendAudit, appendAuditBatch } from "./append.ts";
export { entryHash, encodeCheckpoint } from "./canonical.ts";
export { auditPublicKeys } from "./checkpoints.ts";
export { checkpointStaleChains, shipCheckpoints } from "./checkpointer.ts";
export { writeAuditExport, exportAuditLog } from "./export.ts";
export { sealPii, readPii, eraseAuditPii, ERASED } from "./pii.ts";
export { iterateEntries } from "./store.ts";
export type { AuditProblem } from "./verify.ts";
export { verifyAuditDatabase, verifyAuditExport, type AuditVerification } from "./verify-sources.ts";
export * from "./types.ts";
