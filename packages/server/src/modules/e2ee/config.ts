/** The org's E2EE settings (MLS suite) and the server's public MLS keys. */
import type { E2eeConfig, E2eeSuite } from "@parley/protocol";
import type { Deps, Principal } from "../../context.ts";
import { serverMlsKeys } from "../../platform/kms/index.ts";
import { inTransaction } from "../../transaction.ts";
import { authorize } from "../access/authorize.ts";
import { orgSettings, orgSuite, setOrgSettings } from "./store.ts";

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

async function configOf(deps: Deps, orgId: string, suite: E2eeSuite): Promise<E2eeConfig> {
  const keys = await serverMlsKeys(deps);
  return {
    suite,
    directoryKey: b64(keys.directory.publicKey),
    externalSender: { signaturePublicKey: b64(keys.externalSender.publicKey), orgId },
    keyPackageLowWater: deps.config.keyPackageLowWater,
  };
}

export async function getE2eeConfig(deps: Deps, p: Principal): Promise<E2eeConfig> {
  authorize(p, "e2ee.directory", { type: "org", orgId: p.orgId });
  return configOf(deps, p.orgId, await orgSuite(deps.db, p.orgId));
}

/** Sets the suite for groups created from now on; existing groups keep theirs. */
export async function setE2eeConfig(deps: Deps, p: Principal, suite: E2eeSuite): Promise<E2eeConfig> {
  authorize(p, "e2ee.configure", { type: "org", orgId: p.orgId });
  await inTransaction(deps, async (tx) => {
    const settings = await orgSettings(tx, p.orgId);
    await setOrgSettings(tx, p.orgId, { ...settings, e2eeSuite: suite });
  });
  deps.log.info({ module: "e2ee", orgId: p.orgId, by: p.userId, suite }, "org MLS suite set");
  return configOf(deps, p.orgId, suite);
}
