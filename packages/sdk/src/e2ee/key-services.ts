/**
 * The device's services around the user's history keys, built together because they hand keys to
 * each other: the key locker (every device of the user), device approval (a new device approved
 * from another gets the locker), the org's compliance archive (a locker recipient), and the reader
 * of archived copies. Every history key the device comes to hold goes to the locker (and archive).
 * The engine (engine.ts) builds them once and exposes the first three.
 */
import type { E2eeHost, E2eeOptions } from "./engine-types.ts";
import type { DeviceIdentity } from "@parley/crypto";
import type { DeviceDirectory } from "./directory.ts";
import { historyKeysOf } from "./history-keys.ts";
import { KeyLocker } from "./locker.ts";
import { DeviceApprovals } from "./approval.ts";
import { ComplianceArchive } from "./compliance-archive.ts";
import { ArchiveReader } from "./archive.ts";

export interface KeyServices {
  locker: KeyLocker;
  approvals: DeviceApprovals;
  archive: ComplianceArchive;
  archiveReader: ArchiveReader;
}

export function keyServices(host: E2eeHost, identity: DeviceIdentity, directory: DeviceDirectory, opts: Pick<E2eeOptions, "approvalPollMs">): KeyServices {
  const owner = { orgId: identity.orgId, userId: identity.userId };
  const locker: KeyLocker = new KeyLocker({
    api: host.api,
    keyStore: identity.keyStore,
    owner,
    onError: (err) => host.onError(err),
    onKeys: (channelId, added) => host.historyKeys({ channelId, added }),
    approveSelf: () => approvals.approveSelf(),
  });
  const approvals = new DeviceApprovals({
    api: host.api,
    identity,
    directory,
    locker,
    ...(opts.approvalPollMs !== undefined ? { pollMs: opts.approvalPollMs } : {}),
  });
  const archive = new ComplianceArchive({
    api: host.api,
    keyStore: identity.keyStore,
    owner,
    facts: (channelId, fresh) => host.channelFacts(channelId, fresh),
    known: () => host.knownChannels(),
    onStatus: (n) => host.archiveStatus(n),
    onError: (err) => host.onError(err),
  });
  locker.addRecipient(archive);
  // Every history key this device comes to hold (a new epoch, a `keys` event) goes to the user's locker (and archive).
  historyKeysOf(identity.keyStore).onAdded = (channelId, generation, epochs) => {
    for (const e of epochs) locker.noteKey(channelId, generation, e);
  };
  const archiveReader = new ArchiveReader({
    orgId: identity.orgId,
    keyStore: identity.keyStore,
    directory,
    suite: identity.suite,
    expected: async (channelId) => {
      const policy = await host.historyPolicy(channelId);
      return policy === "shared" || policy === "joined";
    },
  });
  return { locker, approvals, archive, archiveReader };
}
