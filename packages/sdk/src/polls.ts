/**
 * Polls (issue 13, the `/poll` slash command), end to end encrypted with no server support: a
 * poll is an ordinary message whose decoded content carries `poll` ({ question, options,
 * multiple }) beside a text fallback that clients without polls show; a vote is a reaction to it
 * with the option's keycap emoji (1️⃣ … 🔟), so the server sees that someone reacted, not the
 * question, the options or which one. A single-choice poll's client retracts the voter's other
 * keys when they vote; a count only ever counts one vote per user per option (reactions are per
 * user already).
 */
import { ParleyError } from "./errors.ts";
import type { MessageContent } from "./codec.ts";

/** The keycap emoji option i is voted with. */
export const POLL_KEYS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣", "🔟"] as const;
export const POLL_LIMITS = { minOptions: 2, maxOptions: POLL_KEYS.length, question: 300, option: 100 } as const;

export interface PollSpec {
  question: string;
  options: string[];
  /** Voters may pick several options (default: one). */
  multiple: boolean;
}

export interface PollTally {
  option: string;
  key: string;
  voters: string[];
}

function invalid(message: string): ParleyError {
  return new ParleyError({ code: "bad_request", message });
}

/** Check a poll's question and options; throws a `bad_request` ParleyError saying what to fix. */
export function checkPoll(spec: PollSpec): PollSpec {
  const question = spec.question.trim();
  const options = spec.options.map((o) => o.trim()).filter((o) => o.length > 0);
  if (!question) throw invalid("a poll needs a question");
  if (question.length > POLL_LIMITS.question) throw invalid(`the question is longer than ${POLL_LIMITS.question} characters`);
  if (options.length < POLL_LIMITS.minOptions || options.length > POLL_LIMITS.maxOptions)
    throw invalid(`a poll has ${POLL_LIMITS.minOptions} to ${POLL_LIMITS.maxOptions} options (this one has ${options.length})`);
  const long = options.find((o) => o.length > POLL_LIMITS.option);
  if (long !== undefined) throw invalid(`option "${long.slice(0, 20)}…" is longer than ${POLL_LIMITS.option} characters`);
  const seen = new Set<string>();
  for (const o of options) {
    if (seen.has(o.toLowerCase())) throw invalid(`option "${o}" is given twice`);
    seen.add(o.toLowerCase());
  }
  return { question, options, multiple: spec.multiple };
}

/**
 * The arguments of `/poll`: `"Question" "Option 1" "Option 2"` (double quotes, `\"` inside), or
 * `Question | Option 1 | Option 2`; a leading `--multiple` lets voters pick several.
 */
export function parsePollCommand(args: string): PollSpec {
  let rest = args.trim();
  let multiple = false;
  const flag = /^--multiple(\s+|$)/.exec(rest);
  if (flag) {
    multiple = true;
    rest = rest.slice(flag[0].length);
  }
  const usage = 'write /poll "Question" "Option 1" "Option 2" (or Question | Option 1 | Option 2)';
  let parts: string[];
  if (rest.startsWith('"')) {
    parts = [];
    const re = /\s*"((?:[^"\\]|\\.)*)"\s*/y;
    let m: RegExpExecArray | null;
    while ((m = re.exec(rest)) !== null) {
      parts.push(m[1]!.replace(/\\(.)/g, "$1"));
      if (re.lastIndex >= rest.length) break;
    }
    if (re.lastIndex < rest.length) throw invalid(`unbalanced quotes in the poll: ${usage}`);
  } else if (rest.includes("|")) {
    parts = rest.split("|");
  } else throw invalid(`a poll needs a question and at least two options: ${usage}`);
  const [question = "", ...options] = parts;
  return checkPoll({ question, options, multiple });
}

/** The content of a poll message: the poll, and a text fallback for clients that do not show polls. */
export function pollContent(spec: PollSpec): MessageContent {
  const poll = checkPoll(spec);
  const lines = poll.options.map((o, i) => `${POLL_KEYS[i]} ${o}`);
  const how = poll.multiple ? "react with the numbers of your choices" : "react with the number of your choice";
  return { text: `📊 **${poll.question}**\n${lines.join("\n")}\n_(${how})_`, poll };
}

/** The poll a decoded message carries (undefined when it carries none or a malformed one). */
export function pollOf(content: Record<string, unknown> | undefined): PollSpec | undefined {
  const p = content?.poll as Partial<PollSpec> | undefined;
  if (typeof p !== "object" || p === null || typeof p.question !== "string" || !Array.isArray(p.options)) return undefined;
  if (!p.options.every((o): o is string => typeof o === "string")) return undefined;
  try {
    return checkPoll({ question: p.question, options: p.options, multiple: p.multiple === true });
  } catch {
    return undefined;
  }
}

/**
 * Votes per option from the poll message's reactions (emoji -> users). A single-choice poll
 * counts, for a user who reacted with several keys (a client without polls), only the lowest.
 */
export function tallyPoll(poll: PollSpec, reactions: ReadonlyMap<string, ReadonlySet<string>>): PollTally[] {
  const counted = new Set<string>();
  return poll.options.map((option, i) => {
    const key = POLL_KEYS[i]!;
    const voters = [...(reactions.get(key) ?? [])].filter((u) => poll.multiple || !counted.has(u));
    if (!poll.multiple) for (const u of voters) counted.add(u);
    return { option, key, voters };
  });
}

/** The keys a vote for option `i` retracts: in a single-choice poll, the voter's other keys. */
export function votesToRetract(poll: PollSpec, reactions: ReadonlyMap<string, ReadonlySet<string>>, voter: string, i: number): string[] {
  if (poll.multiple) return [];
  return poll.options.map((_, j) => POLL_KEYS[j]!).filter((key, j) => j !== i && reactions.get(key)?.has(voter));
}
