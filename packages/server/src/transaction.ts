/**
 * Run a command in one database transaction and publish its bus messages
 * only after the commit (Zulip's send_event_on_commit): a rolled-back change
 * is never announced, and a subscriber that reacts can read the committed rows.
 */
import type { Deps } from "./context.ts";
import type { Tx } from "./platform/db/index.ts";
import type { BusTopics, Topic } from "./platform/bus/bus.ts";

export interface AfterCommit {
  publish<T extends Topic>(topic: T, msg: BusTopics[T]): void;
  /** Any other side effect that must wait for the commit. */
  run(fn: () => void): void;
}

export async function inTransaction<T>(deps: Deps, fn: (tx: Tx, after: AfterCommit) => Promise<T>): Promise<T> {
  const queued: Array<() => void> = [];
  const after: AfterCommit = {
    publish: (topic, msg) => { queued.push(() => deps.bus.publish(topic, msg)); },
    run: (f) => { queued.push(f); },
  };
  const result = await deps.db.transaction().execute((tx) => fn(tx, after));
  for (const f of queued) {
    try { f(); } catch (err) { deps.log.error({ err }, "after-commit hook failed"); }
  }
  return result;
}

/**
 * Publish a message about a change that committed earlier and may never have been
 * announced: the event writer's retry after a COMMIT whose answer was lost finds its
 * events already written (a duplicate), and nobody may have published them.
 */
export function publishCommitted<T extends Topic>(deps: Deps, topic: T, msg: BusTopics[T]): void {
  try { deps.bus.publish(topic, msg); } catch (err) { deps.log.error({ err, topic }, "publishing a committed change failed"); }
}
