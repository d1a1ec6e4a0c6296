/**
 * The device directory as the commit checks see it: the signature key the
 * server bound to each ACTIVE device (modules/e2ee owns the bindings).
 */
import type { Db, Tx } from "../../platform/db/index.ts";
import { activeBindings } from "../e2ee/store.ts";

/** Directory signature keys of the active devices among `deviceIds`, in the org. */
export async function bindingKeys(q: Db | Tx, orgId: string, deviceIds: string[]): Promise<Map<string, Uint8Array>> {
  const ids = [...new Set(deviceIds)];
  const rows = ids.length ? await activeBindings(q, orgId, { deviceIds: ids }) : [];
  return new Map(rows.map((r) => [r.device_id, r.signature_key]));
}
