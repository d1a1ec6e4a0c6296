/**
 * One set of migrations for both dialects, one file per migration under
 * migrations/. Types are chosen to mean the same on SQLite and PostgreSQL;
 * raw bytes are blob on SQLite and bytea on PostgreSQL. Never edit a landed
 * migration: add the next one.
 */
import type { Migration } from "kysely/migration";
import type { Dialect } from "./dialect.ts";
import type { MigrationContext } from "./migrations/context.ts";
import { core } from "./migrations/0001-core.ts";
import { e2eeDirectory } from "./migrations/0002-e2ee-directory.ts";
import { mlsGroups } from "./migrations/0003-mls-groups.ts";
import { files } from "./migrations/0004-files.ts";
import { welcomeGroupInfo } from "./migrations/0005-welcome-group-info.ts";
import { mlsGenerations } from "./migrations/0006-mls-generations.ts";
import { jobs } from "./migrations/0007-jobs.ts";
import { audit } from "./migrations/0008-audit.ts";
import { busOutbox } from "./migrations/0009-bus-outbox.ts";
import { auditTargetIndex } from "./migrations/0010-audit-target-index.ts";
import { channelHistoryPolicy } from "./migrations/0011-channel-history-policy.ts";
import { eventArchiveCopies } from "./migrations/0012-event-archive-copies.ts";
import { keyLockers } from "./migrations/0013-key-lockers.ts";
import { deviceApprovals } from "./migrations/0014-device-approvals.ts";
import { accounts } from "./migrations/0015-accounts.ts";
import { mfa } from "./migrations/0016-mfa.ts";
import { scim } from "./migrations/0017-scim.ts";
import { passkeys } from "./migrations/0019-passkeys.ts";
import { apiKeys } from "./migrations/0021-api-keys.ts";
import { operators } from "./migrations/0022-operators.ts";
import { saml } from "./migrations/0023-saml.ts";
import { policies } from "./migrations/0024-policies.ts";
import { channelRestrictions } from "./migrations/0025-channel-restrictions.ts";
import { compliance } from "./migrations/0026-compliance.ts";
import { ldap } from "./migrations/0018-ldap.ts";
import { sso } from "./migrations/0020-sso.ts";
import { kmsDataKeys } from "./migrations/0027-kms-data-keys.ts";
import { gdprRequests } from "./migrations/0028-gdpr-requests.ts";
import { archive } from "./migrations/0030-archive.ts";
import { directoryRotation } from "./migrations/0031-directory-rotation.ts";
import { pins } from "./migrations/0032-pins.ts";
import { profiles } from "./migrations/0033-profiles.ts";
import { inbox } from "./migrations/0034-inbox.ts";
import { notifications } from "./migrations/0035-notifications.ts";
import { botCommands } from "./migrations/0036-bot-commands.ts";
import { integrations } from "./migrations/0037-integrations.ts";
import { oauthApps } from "./migrations/0038-oauth-apps.ts";
import { mentionEmail } from "./migrations/0039-mention-email.ts";
import { personal } from "./migrations/0040-personal.ts";
import { calls } from "./migrations/0041-calls.ts";
import { reminders } from "./migrations/0042-reminders.ts";
import { callRecording } from "./migrations/0043-call-recording.ts";

export function migrations(dialect: Dialect): Record<string, Migration> {
  const ctx: MigrationContext = { dialect, bytes: dialect === "postgres" ? "bytea" : "blob" };
  return {
    "0001_core": core(ctx),
    "0002_e2ee_directory": e2eeDirectory(ctx),
    "0003_mls_groups": mlsGroups(ctx),
    "0004_files": files(ctx),
    "0005_welcome_group_info": welcomeGroupInfo(ctx),
    "0006_mls_generations": mlsGenerations(ctx),
    "0007_jobs": jobs(ctx),
    "0008_audit": audit(ctx),
    "0009_bus_outbox": busOutbox(ctx),
    "0010_audit_target_index": auditTargetIndex(ctx),
    "0011_channel_history_policy": channelHistoryPolicy(ctx),
    "0012_event_archive_copies": eventArchiveCopies(ctx),
    "0013_key_lockers": keyLockers(ctx),
    "0014_device_approvals": deviceApprovals(ctx),
    "0015_accounts": accounts(ctx),
    "0016_mfa": mfa(ctx),
    "0017_scim": scim(ctx),
    "0019_passkeys": passkeys(ctx),
    "0021_api_keys": apiKeys(ctx),
    "0022_operators": operators(ctx),
    "0023_saml": saml(ctx),
    "0024_policies": policies(ctx),
    "0025_channel_restrictions": channelRestrictions(ctx),
    "0026_compliance": compliance(ctx),
    "0018_ldap": ldap(ctx),
    "0020_sso": sso(ctx),
    "0027_kms_data_keys": kmsDataKeys(ctx),
    "0028_gdpr_requests": gdprRequests(ctx),
    "0030_archive": archive(ctx),
    "0031_directory_rotation": directoryRotation(ctx),
    "0032_pins": pins(ctx),
    "0033_profiles": profiles(ctx),
    "0034_inbox": inbox(ctx),
    "0035_notifications": notifications(ctx),
    "0036_bot_commands": botCommands(ctx),
    "0037_integrations": integrations(ctx),
    "0038_oauth_apps": oauthApps(ctx),
    "0039_mention_email": mentionEmail(ctx),
    "0040_personal": personal(ctx),
    "0041_calls": calls(),
    "0042_reminders": reminders(ctx),
    "0043_call_recording": callRecording(),
  };
}
