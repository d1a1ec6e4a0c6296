/** modules/audit: the tamper-evident audit log (docs/audit.md). */
export { appendAudit, appendAuditBatch, type AuditDeps } from "./append.ts";
export { GENESIS_HASH, canonicalJson, encodeEntry, entryHash, encodeCheckpoint } from "./canonical.ts";
export { writeCheckpoint, auditPublicKeys, checkpointSignatureValid, listCheckpoints, type AuditCheckpoint } from "./checkpoints.ts";
export { checkpointStaleChains, shipCheckpoints, startAuditCheckpointer, type AuditCheckpointer } from "./checkpointer.ts";
export { writeAuditExport, exportAuditLog, readAuditJsonl, type ExportOptions, type ParsedExport } from "./export.ts";
export { sealPii, readPii, eraseAuditPii, ERASED } from "./pii.ts";
export { iterateEntries, auditOrgIds, toRecord } from "./store.ts";
export { verifyOrgChain, type AuditProblem, type AuditProblemKind, type OrgVerification } from "./verify.ts";
export { verifyAuditDatabase, verifyAuditExport, type AuditVerification, type VerifySourceOptions } from "./verify-sources.ts";
export * from "./types.ts";
