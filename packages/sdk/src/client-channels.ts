/**
 * The channel part of ParleyClient's API: the channel list, creating and joining channels and DMs,
 * adding and removing members (with their MLS group changes), resetting a channel's encryption, and
 * the fingerprints and safety numbers members compare. ParleyClient extends this class and hands it
 * the three pieces of its wiring these need (history policies, retention floors, sync), so the
 * wiring stays in client.ts and the operations live here.
 */
import type { MyChannel } from "@parley/protocol";
import { ClientMessages, requireE2ee } from "./client-messages.ts";
import { combineFingerprints, userFingerprint } from "./e2ee/safety-number.ts";
import type { HistoryPolicies } from "./history-policies.ts";
import type { CallInput } from "./http.ts";
import type { RetentionFloors } from "./retention.ts";
import type { LocalStore } from "./store.ts";
import type { SyncEngine } from "./sync.ts";

/** What the channel operations use of the client's wiring. */
export interface ChannelWiring {
  readonly policies: HistoryPolicies;
  readonly retention: RetentionFloors;
  readonly sync: SyncEngine;
}

export abstract class ClientChannels extends ClientMessages {
  /** Local persistence. */
  abstract readonly store: LocalStore;
  /** The client's history policies, retention floors and sync engine. */
  protected abstract readonly channelWiring: ChannelWiring;
  /** Resolves once everything received so far has been processed. */
  abstract idle(): Promise<void>;

  /** Fetch the channel list from the server and store it. */
  async channels(): Promise<MyChannel[]> {
    const { policies, retention, sync } = this.channelWiring;
    const { channels } = await this.api.call("listChannels");
    policies.note(channels);
    // Purged before the list (with its floors) is saved: a stored floor is one already applied.
    await retention.note(channels);
    await this.store.saveChannels(channels);
    for (const c of channels) sync.track(c.id, sync.channelCursor(c.id));
    return channels;
  }

  /** Create a public or private channel and its MLS group (every member's devices are added). */
  async createChannel(input: CallInput<"createChannel">["body"]): Promise<MyChannel> {
    const channel = await this.api.call("createChannel", { body: input });
    this.channelWiring.policies.note([channel]);
    await this.e2ee?.ensureGroup(channel.id);
    return channel;
  }

  /** Open the DM / group DM with these users (creating its MLS group if it has none). */
  async openDm(userIds: string[]): Promise<MyChannel> {
    const channel = await this.api.call("openDm", { body: { userIds } });
    this.channelWiring.policies.note([channel]);
    await this.e2ee?.ensureGroup(channel.id);
    return channel;
  }

  /** Add users to a channel, then add their devices to its MLS group (they read from now on, not before). */
  async addMembers(channelId: string, userIds: string[]): Promise<string[]> {
    const { added } = await this.api.call("addMembers", { params: { channelId }, body: { userIds } });
    await this.e2ee?.addMembers(channelId, userIds);
    return added;
  }

  /** Join a public channel and its MLS group (external commit). */
  async joinChannel(channelId: string): Promise<MyChannel> {
    const { policies, retention, sync } = this.channelWiring;
    const channel = await this.api.call("joinChannel", { params: { channelId } });
    policies.note([channel]);
    await retention.note([channel]);
    sync.track(channelId, sync.channelCursor(channelId));
    await this.e2ee?.join(channelId);
    return channel;
  }

  /**
   * Reset the channel's encryption (channel admins): the server opens a new MLS group
   * generation with a visible "reset" event; members' devices create the new group and
   * add every member's current devices. Messages already read stay readable on the devices
   * that read them. Use when a channel's group is broken.
   */
  async resetEncryption(channelId: string): Promise<number> {
    const { generation } = await requireE2ee(this.e2ee).server.resetEncryption(channelId, "admin");
    await this.channelWiring.sync.catchUp(channelId, Number.MAX_SAFE_INTEGER);
    await this.idle();
    return generation;
  }

  /** Remove a member (the server proposes their removal from the MLS group; a member's client commits it). */
  async removeMember(channelId: string, userId: string): Promise<void> {
    await this.api.call("removeMember", { params: { channelId, userId } });
  }

  /**
   * Fingerprint (30 digits) of a user's active devices, or of one device when
   * `deviceId` is given, from the signature keys the directory vouches for
   * (each binding verified against the server's directory key).
   */
  async fingerprint(userId: string, deviceId?: string): Promise<string> {
    return userFingerprint(requireE2ee(this.e2ee).directory, userId, deviceId);
  }

  /** Safety number of two users (60 digits, the same on both sides): compare it out of band. */
  async safetyNumber(userA: string, userB: string): Promise<string> {
    return combineFingerprints(await this.fingerprint(userA), await this.fingerprint(userB));
  }
}
