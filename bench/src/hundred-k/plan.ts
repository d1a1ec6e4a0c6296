/**
 * The layout of a hundred-k run, decided before anything starts: user i connects to node
 * i % nodes (round-robin); client process w holds a contiguous block of users; every user is
 * in exactly one channel of `channelSize` consecutive users (so each channel's members sit on
 * every node), and in each channel `chatters` members send, chosen so that the senders, too,
 * are spread evenly over the nodes.
 */
export interface PlanOptions {
  users: number;
  nodes: number;
  clientProcs: number;
  channelSize: number;
  /** Percentage of users that send during the chat phase. */
  chatPercent: number;
}

export interface ChannelPlan {
  /** Its members: users first..first+size-1. */
  first: number;
  size: number;
  /** User indexes of the members that send. */
  chatters: number[];
}

export interface ClientBlock {
  /** Users first..first+count-1, connection j of the block is user first+j. */
  first: number;
  count: number;
  /** Node index per connection slot: connection j goes to node nodeOrder[j % nodes]. */
  nodeOrder: number[];
}

export interface Plan {
  channels: ChannelPlan[];
  clients: ClientBlock[];
}

export const nodeOf = (user: number, nodes: number) => user % nodes;

export function makePlan(o: PlanOptions): Plan {
  const channels: ChannelPlan[] = [];
  const perChannel = Math.max(1, Math.round((o.channelSize * o.chatPercent) / 100));
  for (let k = 0, first = 0; first < o.users; k++, first += o.channelSize) {
    const size = Math.min(o.channelSize, o.users - first);
    const c = Math.min(perChannel, size);
    // Offsets base, base+1, ... put channel k's chatters on nodes (k*c) % nodes, (k*c+1) % nodes, ...:
    // over all channels every node gets its share of senders, whatever channelSize % nodes is.
    const base = (((k * c - first) % o.nodes) + o.nodes) % o.nodes;
    const chatters = Array.from({ length: c }, (_, j) => first + ((base + j) % size));
    channels.push({ first, size, chatters });
  }
  const per = Math.ceil(o.users / o.clientProcs);
  const clients: ClientBlock[] = [];
  for (let first = 0; first < o.users; first += per) {
    const count = Math.min(per, o.users - first);
    clients.push({ first, count, nodeOrder: Array.from({ length: o.nodes }, (_, j) => nodeOf(first + j, o.nodes)) });
  }
  return { channels, clients };
}

/** The client block holding user `user`, and the user's connection index in it. */
export function locate(plan: Plan, user: number): { client: number; conn: number } {
  const client = plan.clients.findIndex((b) => user >= b.first && user < b.first + b.count);
  if (client < 0) throw new Error(`user ${user} is in no client block`);
  return { client, conn: user - plan.clients[client]!.first };
}

/** Deliveries the acked sends should cause: acked sends x the channel's connected members (the sender's own socket included). */
export function expectedDeliveries(plan: Plan, ackedByChannel: ReadonlyMap<number, number>, failedUsers: ReadonlySet<number>): number {
  let n = 0;
  for (const [k, acked] of ackedByChannel) {
    const ch = plan.channels[k]!;
    let connected = 0;
    for (let u = ch.first; u < ch.first + ch.size; u++) if (!failedUsers.has(u)) connected++;
    n += acked * connected;
  }
  return n;
}
