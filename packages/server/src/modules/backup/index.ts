/** Backup and restore (docs/operations.md, "Backup and restore"): `parley backup`, `parley restore`, `parley backup verify`. */
export { createBackup, type BackupProgress } from "./backup.ts";
export { restoreBackup, verifyBackupFile } from "./restore.ts";
export { BackupError } from "./container.ts";
export type { VerifyCheck } from "./summary.ts";
