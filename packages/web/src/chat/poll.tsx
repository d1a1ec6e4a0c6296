/**
 * A poll message (sdk polls.ts): the question, one button per option with its votes, a bar and
 * who voted. Voting reacts with the option's keycap (end to end encrypted like any reaction); in
 * a single-choice poll the voter's other keys are retracted first. Counts come from the message's
 * reactions, so every member's device tallies the same.
 */
import { useState } from "react";
import { POLL_KEYS, tallyPoll, votesToRetract, type PollSpec, type TimelineMessage } from "@parley/sdk";
import { useChat } from "../client/use-chat.ts";
import { describeError } from "../client/session.ts";
import { FormError } from "../components/auth/auth-card.tsx";
import "./poll.css";

export function PollView(props: { channelId: string; m: TimelineMessage; poll: PollSpec; canVote: boolean }) {
  const chat = useChat();
  const { poll, m } = props;
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const tally = tallyPoll(poll, m.reactions);
  const total = new Set(tally.flatMap((t) => t.voters)).size;
  const vote = async (i: number) => {
    setBusy(true);
    setError(undefined);
    try {
      for (const key of votesToRetract(poll, m.reactions, chat.me.id, i)) await chat.toggleReaction(props.channelId, m.seq, key);
      await chat.toggleReaction(props.channelId, m.seq, POLL_KEYS[i]!);
    } catch (err) {
      setError(`Vote not counted: ${describeError(err)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="poll" aria-label={`Poll: ${poll.question}`}>
      <p className="poll-question">
        <span aria-hidden="true">📊 </span>
        {poll.question}
      </p>
      <ul className="poll-options">
        {tally.map((t, i) => {
          const mine = t.voters.includes(chat.me.id);
          const share = total ? Math.round((100 * t.voters.length) / total) : 0;
          const names = t.voters.map((u) => chat.userName(u)).join(", ");
          return (
            <li key={t.key}>
              <button
                type="button"
                className="poll-option"
                aria-pressed={mine}
                disabled={!props.canVote || busy}
                aria-label={`${t.option}: ${t.voters.length} ${t.voters.length === 1 ? "vote" : "votes"}${names ? `, by ${names}` : ""}`}
                title={names || "No votes yet"}
                onClick={() => void vote(i)}
              >
                <span className="poll-bar" style={{ width: `${share}%` }} aria-hidden="true" />
                <span className="poll-label">
                  {t.key} {t.option}
                </span>
                <span className="poll-count">{t.voters.length}</span>
              </button>
            </li>
          );
        })}
      </ul>
      <p className="poll-foot">
        {total} {total === 1 ? "voter" : "voters"} · {poll.multiple ? "pick any" : "pick one"}
      </p>
      <FormError error={error} />
    </section>
  );
}

/** The reactions a poll message shows besides its options (its option keys are votes, shown above). */
export function nonVoteReactions(m: TimelineMessage, poll: PollSpec | undefined): Array<[string, Set<string>]> {
  const votes = new Set<string>(poll ? POLL_KEYS.slice(0, poll.options.length) : []);
  return [...m.reactions].filter(([emoji]) => !votes.has(emoji));
}
