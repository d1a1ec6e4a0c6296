/**
 * The key-locker part of the app's signed-in state (ADR 0007): the locker as this device sees it,
 * the recovery key, and the approval requests of the user's other devices this device may
 * answer. ChatStore extends it (as the SDK's client extends ClientMessages).
 */
import type { ApprovalRequest } from "@parley/protocol";
import type { LockerStatus } from "@parley/sdk";
import type { RemoteClient } from "./remote-client.ts";

export abstract class ChatKeys {
  abstract readonly client: RemoteClient;
  /** The user's key locker as this device sees it (undefined: not known yet, or E2EE off). */
  locker: LockerStatus | undefined;
  /** Open approval requests of the user's other devices, for this device to approve (ADR 0007). */
  approvals: ApprovalRequest[] = [];

  /** Tell the views the state changed. */
  protected abstract changed(): void;

  /** Look the key locker's status up again (undefined while unknown or when E2EE is off). */
  async refreshLocker(): Promise<void> {
    this.locker = await this.client.lockerStatus().catch(() => undefined);
    this.changed();
  }

  /**
   * Look the open approval requests of the user's other devices up again (only a device that reads
   * the locker can approve: on others the list stays empty).
   */
  async refreshApprovals(): Promise<void> {
    const next = this.locker?.canRead ? await this.client.pendingApprovals().catch(() => this.approvals) : [];
    if (next.length === 0 && this.approvals.length === 0) return;
    this.approvals = next;
    this.changed();
  }

  /** Set up the user's key locker: the recovery key, to show once. */
  async setUpRecoveryKey(): Promise<string> {
    const key = await this.client.setUpLocker();
    this.locker = { exists: true, canRead: true };
    this.changed();
    return key;
  }

  /** Replace the recovery key (this device reads the locker): the new key, to show once; the old one stops working. */
  changeRecoveryKey(): Promise<string> {
    return this.client.changeRecoveryKey();
  }

  /** Read every channel's past on this device with the recovery key (the channels re-read as their keys arrive). */
  async restoreWithRecoveryKey(key: string): Promise<number> {
    return this.#nowReads(await this.client.restoreLocker(key));
  }

  /** This device was approved from another one (device approval's last step): it reads the locker now. */
  approved(added: number): number {
    return this.#nowReads(added);
  }

  #nowReads(added: number): number {
    this.locker = { exists: true, canRead: true };
    this.changed();
    void this.refreshApprovals().catch(() => undefined);
    return added;
  }
}
