/** Where the SCIM service is reached from outside: the public URL and the SCIM prefix (meta.location, $ref). */
import { SCIM_PREFIX } from "@parley/protocol";
import type { Deps } from "../../context.ts";

export const scimBase = (deps: Deps): string => deps.publicUrl.get() + SCIM_PREFIX;
