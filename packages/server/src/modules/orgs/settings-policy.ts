/**
 * A policy kept in the org's settings JSON (`orgs.settings[key]`): every member reads it (the
 * default when unset or unreadable, so an old or damaged value never locks anyone out); owners and
 * admins change it, and the audit entry (`from`, `to`) commits with the change. The edit policy
 * (messages/edit-policy.ts) and the call policy (calls/recording.ts) are kept so.
 */
import type { z } from "zod";
import type { Actor, Deps } from "../../context.ts";
import { runCommand, type CommandEffects } from "../../command.ts";
import type { Tx } from "../../platform/db/index.ts";
import { validated } from "../../core/validate.ts";
import { authorize } from "../access/authorize.ts";
import { orgSettings, setOrgSettings } from "../e2ee/store.ts";
import type { AuditJson } from "../audit/types.ts";

/** Reading and changing one settings policy. */
interface SettingsPolicy<T> {
  /** The policy in an org's parsed settings. */
  of(settings: Record<string, unknown>): T;
  /** The caller's org's policy (every member). */
  get(deps: Deps, p: Actor): Promise<T>;
  /** Change it (owners and admins: `org.manage_security`); audited. */
  set(deps: Deps, p: Actor, raw: T): Promise<T>;
}

/** A policy is plain JSON (it goes into the audit entry as it is). */
export function settingsPolicy<S extends z.ZodType<{ [key: string]: AuditJson }>>(o: {
  key: string;
  schema: S;
  fallback: z.output<S>;
  /** The command's name (metrics, traces). */
  command: string;
  /** The audit action of a change. */
  action: string;
  /** What else the change does, in its transaction (after the audit entry of the change). */
  onChange?: (tx: Tx, fx: CommandEffects, change: { orgId: string; from: z.output<S>; to: z.output<S>; now: number }) => Promise<void>;
}): SettingsPolicy<z.output<S>> {
  const of = (settings: Record<string, unknown>): z.output<S> => {
    const parsed = o.schema.safeParse(settings[o.key]);
    return parsed.success ? parsed.data : o.fallback;
  };
  return {
    of,
    get: async (deps, p) => of(await orgSettings(deps.db, p.orgId)),
    async set(deps, p, raw) {
      const next = validated(o.schema, raw);
      authorize(p, "org.manage_security", { type: "org", orgId: p.orgId });
      return runCommand(deps, p, o.command, async (tx, fx) => {
        const settings = await orgSettings(tx, p.orgId);
        const before = of(settings);
        await setOrgSettings(tx, p.orgId, { ...settings, [o.key]: next });
        fx.audit({ action: o.action, target: { kind: "org", id: p.orgId }, result: "success", details: { from: before, to: next } });
        await o.onChange?.(tx, fx, { orgId: p.orgId, from: before, to: next, now: deps.now() });
        return next;
      });
    },
  };
}
