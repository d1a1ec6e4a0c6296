/**
 * Refused writes of roles and policies are audited too (issue 10: "each is a test, audited,
 * nothing partially applied"): the command's own transaction rolls back with its refusal, so
 * the failure entry is written by a command of its own, after it.
 */
import type { ErrorCode } from "@parley/protocol";
import type { Actor, Deps } from "../../context.ts";
import { runCommand } from "../../command.ts";
import { AppError } from "../../core/errors.ts";

/** Refusals worth an entry: the policy checks and grants of permissions the caller may not give. */
const AUDITED: ReadonlySet<ErrorCode> = new Set(["policy_invalid", "policy_lockout", "forbidden"]);

/**
 * Run `work`; when it is refused with one of the audited codes, write `action` with result
 * "failure", the error code and message, and what the caller tried (`details`), then rethrow.
 */
export async function auditRefusals<T>(
  deps: Deps,
  p: Actor,
  action: string,
  target: { kind: string; id: string } | null,
  details: Record<string, string | number | boolean | null | string[]>,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof AppError && AUDITED.has(err.code)) {
      const policies = (err.details as { policies?: unknown } | undefined)?.policies;
      await runCommand(deps, p, "access.refused", async (_tx, fx) =>
        fx.audit({
          action,
          target,
          result: "failure",
          details: { ...details, code: err.code, reason: err.message, ...(Array.isArray(policies) ? { policies: policies.map(String) } : {}) },
        }),
      );
    }
    throw err;
  }
}
