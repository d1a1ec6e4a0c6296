/**
 * Admin console → Compliance → Retention: the org's policy, the channels that override it, and
 * the latest run (when it started, whether it finished, what it removed) with "Run now" — the
 * run is a durable job on the server; the page follows it until it finishes.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { ChannelRetention, OrgRetention, RetentionRun } from "@parley/protocol";
import { useChat } from "../client/use-chat.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import { describeAccessError } from "./access-text.ts";
import { ChannelRetentionSection } from "./channel-retention-section.tsx";
import { OrgRetentionForm } from "./org-retention-form.tsx";
import { runState } from "./retention-periods.ts";

type Retention = { org: OrgRetention; channels: ChannelRetention[]; lastRun: RetentionRun | null };

/** How often, and how many times, the page asks how a run it started is going. */
const POLL_MS = 1000;
const POLLS = 60;

export function RetentionSection() {
  const api = useChat().client.api;
  const [data, setData] = useState<Retention>();
  const [error, setError] = useState<string>();
  const load = useCallback(
    () =>
      api.call("getRetention").then(
        (r) => {
          setData(r);
          setError(undefined);
          return r;
        },
        (err: unknown) => {
          setError(describeAccessError(err));
          return undefined;
        },
      ),
    [api],
  );
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="retention-title">
      <h2 id="retention-title">Retention</h2>
      <p className="note">
        Retention removes what is older than its period, on the server and on members' devices (which delete their copies when told). Anything a legal hold
        covers is kept until the hold is released.
      </p>
      <FormError error={error} />
      <OrgRetentionForm saved={data?.org} onSaved={() => void load()} />
      <ChannelRetentionSection overrides={data?.channels} onChange={() => void load()} />
      <LastRun run={data?.lastRun} loaded={!!data} reload={load} />
    </section>
  );
}

function LastRun(props: { run: RetentionRun | null | undefined; loaded: boolean; reload: () => Promise<Retention | undefined> }) {
  const api = useChat().client.api;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [status, setStatus] = useState<string>();
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  async function runNow() {
    setBusy(true);
    setError(undefined);
    setStatus("Started: the run goes on in the background.");
    const asked = Date.now();
    try {
      await api.call("runRetention");
      // Follow the job until a run that started after the click has finished.
      for (let i = 0; i < POLLS && alive.current; i++) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        const r = alive.current ? await props.reload() : undefined;
        if (r?.lastRun && r.lastRun.startedAt >= asked - 5_000 && r.lastRun.finishedAt !== null) {
          setStatus("Finished.");
          return;
        }
      }
      setStatus(undefined);
    } catch (err) {
      setStatus(undefined);
      setError(describeAccessError(err));
    } finally {
      if (alive.current) setBusy(false);
    }
  }

  const run = props.run;
  const state = run ? runState(run, Date.now()) : undefined;
  return (
    <section aria-labelledby="retention-run-title" className="retention-run">
      <h3 id="retention-run-title">Last run</h3>
      {!props.loaded ? (
        <p className="muted">Loading…</p>
      ) : !run ? (
        <p className="muted">
          Retention has not run yet. Once a policy is set it runs on the server's schedule (hourly unless PARLEY_RETENTION_EVERY_MINUTES says otherwise), or now
          with Run now.
        </p>
      ) : (
        <dl className="security-facts" aria-label="Last retention run">
          <dt>Started</dt>
          <dd>{new Date(run.startedAt).toLocaleString()}</dd>
          <dt>Finished</dt>
          <dd>
            {state === "finished"
              ? new Date(run.finishedAt!).toLocaleString()
              : state === "running"
                ? "Running…"
                : "Interrupted: the next run carries on where it stopped"}
          </dd>
          <dt>Removed</dt>
          <dd>
            {run.eventsDeleted.toLocaleString("en")} messages and other events, {run.filesDeleted.toLocaleString("en")} attachments,{" "}
            {run.auditDeleted.toLocaleString("en")} audit entries
          </dd>
          <dt>Kept for legal holds</dt>
          <dd>{run.eventsHeld.toLocaleString("en")} events</dd>
        </dl>
      )}
      <FormError error={error} />
      <div className="form-actions">
        <button type="button" onClick={() => void runNow()} disabled={busy || !props.loaded}>
          {busy ? "Running…" : "Run now"}
        </button>
        {status ? (
          <span className="muted" role="status">
            {status}
          </span>
        ) : null}
      </div>
    </section>
  );
}
