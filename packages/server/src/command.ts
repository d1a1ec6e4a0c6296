/**
 * The write pipeline: every state change of the server goes through
 * `runCommand(deps, actor, name, (tx, fx) => …)` — one database transaction per
 * command, knowing who acts and what the action is. What the command causes
 * besides its rows is declared on `fx` and happens only if it commits:
 * - `fx.job(name, payload)`: a durable job, written in the transaction (platform/jobs);
 *   the local runner is nudged after the commit;
 * - `fx.emit(topic, msg)` (alias `publish`): a bus message, written to the bus outbox in the
 *   transaction and published by the relay after the commit (platform/bus/outbox.ts): a
 *   rolled-back change is never announced, a committed one is even if the process dies next;
 * - `fx.audit(entry)`: an audit entry, appended to the org's hash chain in the same
 *   transaction (modules/audit): a rolled-back command leaves none;
 * - `fx.run(fn)`: any other after-commit side effect (not durable).
 */
import type { Deps } from "./context.ts";
import type { Actor } from "./core/actor.ts";
import type { Tx } from "./platform/db/index.ts";
import type { BusTopics, Topic } from "./platform/bus/bus.ts";
import type { Emitted, OutboxWrite } from "./platform/bus/outbox.ts";
import { enqueueJob, type EnqueueOptions } from "./platform/jobs/index.ts";
import { auditActor } from "./modules/audit/actors.ts";
import { appendAuditBatch } from "./modules/audit/append.ts";
import type { AuditEntryInput } from "./modules/audit/types.ts";
import { inSpan } from "./platform/tracing.ts";

export interface CommandEffects extends AfterCommit {
  /** Publish on the bus after the commit. */
  emit<T extends Topic>(topic: T, msg: BusTopics[T]): void;
  /** Enqueue a durable job in this transaction; it runs after the commit (and survives a crash). */
  job(name: string, payload: unknown, opts?: EnqueueOptions): Promise<string | undefined>;
  /** Record an audit entry in this transaction; org and actor default to the command's. */
  audit(entry: AuditInput): void;
}

/** An audit entry as a command records it (org and actor may come from the command). */
export type AuditInput = Omit<AuditEntryInput, "orgId" | "actor"> & Partial<Pick<AuditEntryInput, "orgId" | "actor">>;

/** Who ran a command: an {@link Actor}, or null before anyone is authenticated (sign-in, first-run setup, accepting an invite). */
export type CommandActor = Actor | null;

/** Run one command in one transaction; its effects happen after the commit, or not at all. */
export function runCommand<T>(deps: Deps, actor: CommandActor, name: string, fn: (tx: Tx, fx: CommandEffects) => Promise<T>): Promise<T> {
  // One span per command (platform/tracing.ts; just the call when tracing is off): its queries and bus publish are children.
  return inSpan(`command ${name}`, { "parley.command": name, "parley.actor": actor?.kind ?? "anonymous" }, () => execute(deps, actor, name, fn));
}

async function execute<T>(deps: Deps, actor: CommandActor, name: string, fn: (tx: Tx, fx: CommandEffects) => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const out = await inTransaction(deps, (tx, after) => {
      const nudged = new Set<string>();
      const audits: AuditEntryInput[] = [];
      const fx: CommandEffects = {
        publish: after.publish,
        run: after.run,
        emit: after.publish,
        async job(jobName, payload, opts) {
          const id = await enqueueJob(tx, jobName, payload, { now: deps.now(), ...opts });
          if (!nudged.has(jobName)) after.publish("jobs.enqueued", { name: jobName });
          nudged.add(jobName);
          return id;
        },
        audit(entry) {
          const orgId = entry.orgId ?? actor?.orgId;
          if (!orgId) throw new Error(`${name}: an audit entry needs an org (the command has no actor)`);
          audits.push({ ...entry, orgId, actor: entry.actor ?? (actor ? auditActor(actor) : { kind: "system" }) });
        },
      };
      return fn(tx, fx).then(async (result) => {
        // Entries go in one batch at the end of the command (one chain update per org).
        if (audits.length) await appendAuditBatch(tx, deps, audits);
        return result;
      });
    });
    deps.metrics.commands.observe({ command: name, actor: actor?.kind ?? "anonymous", outcome: "ok" }, (performance.now() - started) / 1000);
    return out;
  } catch (err) {
    deps.metrics.commands.observe({ command: name, actor: actor?.kind ?? "anonymous", outcome: "error" }, (performance.now() - started) / 1000);
    throw err;
  }
}

// ---- the transaction under every command ----------------------------------------

/** After-commit effects: bus messages and other side effects, run only once the transaction committed. */
export interface AfterCommit {
  publish<T extends Topic>(topic: T, msg: BusTopics[T]): void;
  /** Any other side effect that must wait for the commit. */
  run(fn: () => void): void;
}

/**
 * The one transaction helper, private to this file: a command's transaction, its bus
 * messages written to the outbox at the end of it, then after the commit the relay
 * publishes them and the other effects run in order (a failing effect is logged and
 * does not stop the others).
 */
async function inTransaction<T>(deps: Deps, fn: (tx: Tx, after: AfterCommit) => Promise<T>): Promise<T> {
  const emitted: Emitted[] = [];
  const runs: Array<() => void> = [];
  const after: AfterCommit = {
    publish: (topic, msg) => {
      emitted.push({ topic, msg } as Emitted);
    },
    run: (f) => {
      runs.push(f);
    },
  };
  let written: OutboxWrite = { ids: [], dropped: [] };
  const result = await deps.db.transaction().execute(async (tx) => {
    const out = await fn(tx, after);
    if (emitted.length) written = await deps.relay.write(tx, emitted, deps.now());
    return out;
  });
  if (emitted.length) deps.relay.committed(written, emitted);
  for (const f of runs) {
    try {
      f();
    } catch (err) {
      deps.log.error({ err }, "after-commit hook failed");
    }
  }
  return result;
}
