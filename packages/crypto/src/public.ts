/**
 * `@parley/crypto/public`: parsing and verifying PUBLIC MLS structures, the device
 * directory binding and device approvals — no private keys, no group state. The server (MLS
 * Delivery and Authentication Service) imports only this entry.
 * @packageDocumentation
 */
export {
  encodeCredentialIdentity,
  parseCredentialIdentity,
  encodeBinding,
  signBinding,
  verifyBinding,
  endorseDirectoryKey,
  verifyDirectoryEndorsement,
  type DirectoryKeyFields,
  generateServerSigningKey,
  type CredentialIdentity,
  type BindingFields,
  type DeviceBinding,
} from "./credential.ts";
export {
  parseKeyPackage,
  inspectMlsMessage,
  privateMessageHeader,
  type KeyPackageInfo,
  type InspectedMessage,
  type InspectedSender,
  type InspectedAdd,
  type PrivateMessageHeader,
} from "./inspect.ts";
export { externalRemoveProposal, type ExternalProposal } from "./external-proposal.ts";
export { groupInfoMembers, type TreeLeaf } from "./tree.ts";
export {
  verifyGroupInfo,
  verifyPublicMessage,
  checkCommitLeadsTo,
  groupInfoExternalSenders,
  type VerifiedGroupInfo,
  type VerifiedMessage,
  type ExternalSenderInfo,
} from "./verify-public.ts";
// The server checks a compliance archive policy's signature before storing it; devices check it again (ADR 0008).
export { verifyArchivePolicy, archiveCovers, type ArchivePolicyFields, type ArchiveScope } from "./history/archive-policy.ts";
// The server checks an approval before storing it; clients check it again (ADR 0007).
export { verifyDeviceApproval, type ApprovalFields, type DeviceApproval } from "./history/device-approval.ts";
export { groupIdBytes, channelGroupId, parseChannelGroupId } from "./group-id.ts";
export { MLS_ENGINE } from "./engine.ts";
export { E2eeError, isE2eeError, type E2eeErrorCode } from "./errors.ts";
export { SUITE_NAMES, type SuiteName } from "./suites.ts";
