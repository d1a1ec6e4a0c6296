/** Every `parley` command, in help order. */
import type { Command } from "../command.ts";
import { startCommand } from "./start.ts";
import { adminCommands } from "./admin.ts";
import { e2eeAdminCommands } from "./e2ee-admin.ts";
import { jobsAdminCommands } from "./jobs-admin.ts";
import { auditCommands } from "./audit.ts";
import { keysCommands } from "./keys.ts";
import { backupCommands } from "./backup.ts";
import { accountCommands } from "./account.ts";
import { accountSettingsCommands } from "./account-settings.ts";
import { passwordResetCommands } from "./password-reset.ts";
import { orgAdminCommands } from "./org-admin.ts";
import { mfaCommands } from "./mfa.ts";
import { mfaAdminCommands } from "./mfa-admin.ts";
import { channelCommands } from "./channels.ts";
import { messageCommands } from "./messages.ts";
import { pinCommands } from "./pins.ts";
import { callCommands } from "./calls.ts";
import { notifyCommands } from "./notify.ts";
import { remindCommands } from "./remind.ts";
import { botCommands } from "./bots.ts";
import { deviceCommands } from "./devices.ts";
import { fileCommands } from "./files.ts";
import { recoveryKeyCommands } from "./recovery-key.ts";
import { approvalCommands } from "./approval.ts";
import { searchCommands } from "./search.ts";
import { operatorCommands } from "./operator.ts";
import { apiKeyCommands } from "./api-keys.ts";
import { sessionAdminCommands } from "./sessions-admin.ts";
import { scimCommands } from "./scim.ts";
import { ldapCommands } from "./ldap.ts";
import { ssoCommands } from "./sso.ts";
import { channelLabelsCommand, policyCommands } from "./policies.ts";
import { roleCommands } from "./roles.ts";
import { gdprCommands } from "./gdpr.ts";
import { complianceHoldCommands } from "./compliance-holds.ts";
import { complianceArchiveCommands } from "./compliance-archive.ts";
import { complianceExportCommands } from "./compliance-export.ts";

export const COMMANDS: Command[] = [
  startCommand,
  ...adminCommands,
  ...e2eeAdminCommands,
  ...jobsAdminCommands,
  ...operatorCommands,
  ...auditCommands,
  ...keysCommands,
  ...backupCommands,
  ...accountCommands,
  ...accountSettingsCommands,
  ...mfaCommands,
  ...passwordResetCommands,
  ...orgAdminCommands,
  ...mfaAdminCommands,
  ...apiKeyCommands,
  ...sessionAdminCommands,
  ...ssoCommands,
  ...scimCommands,
  ...ldapCommands,
  ...roleCommands,
  ...complianceHoldCommands,
  ...complianceArchiveCommands,
  ...complianceExportCommands,
  ...policyCommands,
  ...channelCommands,
  channelLabelsCommand,
  ...messageCommands,
  ...pinCommands,
  ...callCommands,
  ...notifyCommands,
  ...remindCommands,
  ...botCommands,
  ...searchCommands,
  ...fileCommands,
  ...deviceCommands,
  ...recoveryKeyCommands,
  ...approvalCommands,
  ...gdprCommands,
];
