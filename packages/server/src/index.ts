/** @parley/server — the Parley server. */
export { createServer, type ParleyServer, type CreateServerOptions } from "./server.ts";
export { loadConfig, SETTINGS, ConfigError, type Config, type ConfigInput } from "./config/schema.ts";
export { openStorage, type Storage } from "./platform/db/index.ts";

// Offline administration (`parley admin ...`): the CLI composes Deps from these
// platform pieces and calls the same commands the HTTP routes call.
export type { Actor, Deps, DeviceActor, SystemActor } from "./context.ts";
export { memoryBus } from "./platform/bus/memory.ts";
export { createLogger } from "./platform/log.ts";
export { createMetrics } from "./platform/metrics.ts";
export { createLimits } from "./platform/limits/index.ts";
export { loadTokenKeys } from "./modules/accounts/tokens.ts";
export { createKms, serverMlsKeys, type Kms } from "./platform/kms/index.ts";
export { createPkcs11Ring, readPin } from "./platform/kms/pkcs11.ts";
export { actorRef, systemActor } from "./core/actor.ts";
export { createOrgWithOwner } from "./modules/orgs/create-org.ts";
export { needsSetup } from "./modules/orgs/setup.ts";
export { createInvite } from "./modules/orgs/invites.ts";
export { createOperatorToken } from "./modules/orgs/operator.ts";
export { listUsers, setUserRole, deactivateUser, reactivateUser, listDevicesOfUser, adminRevokeDevice } from "./modules/orgs/users.ts";
export { composeDeps, type Composed, type ComposeOptions } from "./compose.ts";
export { applyReset, type ResetRequest } from "./modules/mls/reset.ts";
export { openBlobStore, blobDirOf, type BlobStore } from "./platform/blobs/index.ts";
export { listJobs, countJobs, retryDeadJob, type JobView } from "./platform/jobs/index.ts";
// `parley audit verify|export|keys` (docs/audit.md).
export { verifyAuditDatabase, verifyAuditExport, exportAuditLog, auditPublicKeys, type AuditVerification, type AuditProblem } from "./modules/audit/index.ts";
// `parley keys rotate | retire | status` (docs/operations.md, KMS and HSM).
export { kekStatus, retireKeks, rotateKek, rotateSigningKey, signingKeyStatus, type KekStatus, type RotatableSigningKey } from "./modules/keys/index.ts";
// `parley backup | restore | backup verify` (docs/operations.md, Backup and restore).
export { createBackup, restoreBackup, verifyBackupFile, BackupError, type BackupProgress, type VerifyCheck } from "./modules/backup/index.ts";
