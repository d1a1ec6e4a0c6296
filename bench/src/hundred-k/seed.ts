/**
 * The hundred-k org on the run's PostgreSQL database, made by a Parley server in this process
 * (stopped before the nodes start): the owner through the setup route, the members inserted in
 * bulk (bench/src/seed-org.ts), the channels through the real `POST /channels` route (members,
 * their `channel.joined` stream items, the audit rows), and one access token per member.
 */
import { API_PREFIX } from "@parley/protocol";
import { createServer } from "@parley/server";
import { signAccessToken } from "../../../packages/server/src/modules/accounts/tokens.ts";
import { insertMembers, setupOrg, signMemberTokens } from "../seed-org.ts";
import { log } from "../report.ts";
import type { Plan } from "./plan.ts";

/** Channel creations in flight at once. */
const PARALLEL = 4;

export interface Seeded {
  tokens: string[];
  /** Channel ids, in plan order. */
  channelIds: string[];
  ms: { members: number; channels: number; tokens: number; total: number };
}

async function createChannel(url: string, token: string, name: string, members: string[]): Promise<string> {
  const res = await fetch(`${url}${API_PREFIX}/channels`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ kind: "private", name, topic: "", members }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST /channels -> ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** `config`: the nodes' configuration (same database and data directory: the signing key). */
export async function seedHundredK(config: Record<string, unknown>, users: number, plan: Plan): Promise<Seeded> {
  const t0 = performance.now();
  const s = await createServer({ env: {}, config });
  try {
    const owner = await setupOrg(s.url, "hundredk", "Hundred K");
    const members = await insertMembers(s.deps.db, owner, users, "hk");
    const t1 = performance.now();
    const channelIds = new Array<string>(plan.channels.length);
    let next = 0;
    let made = 0;
    const every = Math.max(1, Math.round(plan.channels.length / 10));
    const worker = async () => {
      while (next < plan.channels.length) {
        const k = next++;
        const ch = plan.channels[k]!;
        const ids = members.slice(ch.first, ch.first + ch.size).map((m) => m.userId);
        channelIds[k] = await createChannel(s.url, owner.accessToken, `chat-${k}`, ids);
        if (++made % every === 0 || made === plan.channels.length) {
          log(`seed: ${made}/${plan.channels.length} channels created (${Math.round(performance.now() - t1)} ms)`);
        }
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    const t2 = performance.now();
    const tokens = await signMemberTokens(signAccessToken, s.deps.keys, owner.orgId, members);
    const t3 = performance.now();
    return {
      tokens,
      channelIds,
      ms: { members: Math.round(t1 - t0), channels: Math.round(t2 - t1), tokens: Math.round(t3 - t2), total: Math.round(t3 - t0) },
    };
  } finally {
    await s.close();
  }
}
