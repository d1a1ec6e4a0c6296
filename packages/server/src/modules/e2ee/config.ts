/** The org's E2EE settings (MLS suite) and the server's public MLS keys. */
import type { E2eeConfig, E2eeSuite } from "@parley/protocol";
import type { Deps, DeviceActor } from "../../context.ts";
import { serverMlsKeys } from "../../platform/kms/index.ts";
import { runCommand } from "../../command.ts";
import { authorize } from "../access/authorize.ts";
import { appendUserStream } from "../streams/user-stream.ts";
import { listDirectoryKeys } from "./directory-keys.ts";
import { activeBindings, clearOrgLowWarned, orgSettings, orgSuite, setOrgSettings } from "./store.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

async function configOf(deps: Deps, orgId: string, suite: E2eeSuite): Promise<E2eeConfig> {
  const keys = await serverMlsKeys(deps);
  return {
    suite,
    directoryKey: b64(keys.directory.publicKey),
    directoryKeys: await listDirectoryKeys(deps.db),
    externalSender: { signaturePublicKey: b64(keys.externalSender.publicKey), orgId },
    keyPackageLowWater: deps.config.keyPackageLowWater,
  };
}

export async function getE2eeConfig(deps: Deps, p: DeviceActor): Promise<E2eeConfig> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return configOf(deps, p.orgId, await orgSuite(deps.db, p.orgId));
}

/**
 * Sets the suite for groups created from now on; existing groups keep theirs.
 * Device identities are suite-independent (every suite signs with Ed25519), so
 * nothing is re-registered: on a change, every user with a bound device gets a
 * `keypackages.low` { suite, reason: "suite_changed" } item (no deviceId: all its
 * devices), telling online devices to upload KeyPackages of the new suite now
 * rather than at their next connect; the low-water warnings are re-armed.
 */
export async function setE2eeConfig(deps: Deps, p: DeviceActor, suite: E2eeSuite): Promise<E2eeConfig> {
  authorize(p, "e2ee.configure", { type: "org", orgId: p.orgId });
  await runCommand(deps, p, "e2ee.setE2eeConfig", async (tx, after) => {
    const settings = await orgSettings(tx, p.orgId);
    const previous = settings.e2eeSuite === "xwing" ? "xwing" : "default";
    await setOrgSettings(tx, p.orgId, { ...settings, e2eeSuite: suite });
    if (previous === suite) return;
    after.audit({ action: "org.mls_suite.changed", target: { kind: "org", id: p.orgId }, result: "success", details: { from: previous, to: suite } });
    await clearOrgLowWarned(tx, p.orgId);
    const users = new Set((await activeBindings(tx, p.orgId, {})).map((b) => b.user_id));
    for (const userId of users) {
      await appendUserStream(tx, after, { orgId: p.orgId, userId, kind: "keypackages.low", data: { suite, reason: "suite_changed" }, now: deps.now() });
    }
  });
  deps.log.info({ module: "e2ee", orgId: p.orgId, by: p.userId, suite }, "org MLS suite set");
  return configOf(deps, p.orgId, suite);
}
