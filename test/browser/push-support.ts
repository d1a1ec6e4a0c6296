/**
 * Shared by the Web Push browser tests (issue 13): an org where Olivia (owner) and Bob share the
 * private channel #ops and a local push endpoint holds a subscription of Bob's (the server's
 * pushes for him arrive there, RFC 8291-decrypted); and reading the notifications a page's
 * service worker registration shows.
 */
import assert from "node:assert/strict";
import type { CDPSession, Page } from "playwright-core";
import { bootstrapOrg, makeUser, type TestUser } from "@parley/server/testing/factories";
import type { TestServer } from "@parley/server/testing/harness";
import { startPushReceiver, type PushReceiver } from "@parley/server/testing/push-receiver";

export interface PushOrg {
  owner: TestUser;
  bob: TestUser;
  orgId: string;
  /** #ops's id. */
  ops: string;
  /** The push endpoint with Bob's subscription (close it after the test). */
  receiver: PushReceiver;
}

/** The org, #ops and Bob's push subscription at a local endpoint. */
export async function pushOrg(server: TestServer): Promise<PushOrg> {
  const owner = await bootstrapOrg(server, { orgSlug: "notify", orgName: "Acme Notify", username: "olivia", displayName: "Olivia Owner" });
  const bob = await makeUser(server, owner, { username: "bob", displayName: "Bob Builder" });
  const ops = (await owner.api("POST", "/channels", { name: "ops", kind: "private", members: [bob.user.id] })).body.id as string;
  const receiver = await startPushReceiver((await bob.api("GET", "/push/vapid-key")).body.publicKey);
  const sub = receiver.subscribe("bob-phone");
  assert.equal((await bob.api("POST", "/push/subscriptions", { endpoint: sub.endpoint, keys: sub.keys })).status, 201);
  return { owner, bob, orgId: owner.org.id, ops, receiver };
}

/** A notification as the registration lists it. */
export interface Shown {
  title: string;
  body: string;
  tag: string;
  data: unknown;
}

/**
 * The notifications the page's service worker registration shows. Not while one may be on its way
 * to the screen: such a read can lose it (see {@link NotificationWatch}).
 */
export function notifications(page: Page): Promise<Shown[]> {
  return page.evaluate(async () =>
    (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown })),
  );
}

/** Close every notification the registration shows. */
export async function closeAll(page: Page): Promise<void> {
  await page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
}

/** The notification of Olivia's message `seq` in #ops (`ops`: its id) saying `body`. */
export function oliviaInOps(ops: string, seq: number, body: string): Shown {
  return { title: "Olivia Owner in #ops", body, tag: `parley:${ops}:${seq}`, data: { channelId: ops, seq, threadRoot: null } };
}

/**
 * Olivia's page opens #ops; the function returned sends `text` there and resolves with its seq
 * once `shownOn` (a page of the org showing #ops) lists it.
 */
export async function oliviaSays(olivia: Page, org: PushOrg, shownOn: Page): Promise<(text: string) => Promise<number>> {
  await olivia.getByRole("link", { name: "Channel ops" }).click();
  const box = olivia.getByRole("textbox", { name: "Message #ops" });
  return async (text) => {
    await box.fill(text);
    await box.press("Escape"); // close the mention autocomplete, if open
    await box.press("Enter");
    await shownOn.locator("main article.msg", { hasText: text }).waitFor();
    const { body } = await org.owner.api("GET", `/channels/${org.ops}/events?limit=1`);
    return (body.events as Array<{ seq: number }>)[0]!.seq;
  };
}

/** What CDP's BackgroundService recorded for the origin: a push event, or a notification shown or closed. */
interface Recorded {
  service: string;
  /** "Push event dispatched", "Push event completed", "Notification displayed", "Notification closed", ... */
  name: string;
  /** A notification's tag. */
  tag: string;
  meta: Record<string, string>;
  at: string;
}

/** A displayed notification as BackgroundService records it (no data). */
type Displayed = Omit<Shown, "data">;
const displayed = (r: Recorded): Displayed => ({ title: r.meta.Title ?? "", body: r.meta.Body ?? "", tag: r.tag });

/**
 * The notifications `origin`'s service worker registration shows, and pushes handed to it, through
 * the DevTools protocol: ServiceWorker.deliverPushMessage delivers a push as a push service's
 * message reaches the worker (no push service is reachable here); the BackgroundService domain
 * records each push event and each notification displayed, as DevTools' Application panel lists them.
 *
 * Why not poll registration.getNotifications() until a notification is there: Chromium's
 * getNotifications() keeps a stored notification only if the platform already lists it as
 * displayed (or it was created after the call began) and deletes every other one from its database
 * (content/browser/notifications/platform_notification_context_impl.cc). A call that lands after
 * showNotification() stored a notification but before the platform has it on display loses it:
 * every later call lists nothing. Polling every 100 ms did that about once in 30 runs on a busy
 * machine (stop 28's CI: notification-settings; once in 12 runs here beside two CPU hogs; the
 * service worker had run its push event and showNotification() had resolved). So a wait here
 * watches for the "Notification displayed" record first and reads the registration only then.
 */
export class NotificationWatch {
  /** How long after its "displayed" record a notification is first read. */
  static readonly SETTLE_MS = 500;
  readonly #cdp: CDPSession;
  readonly #origin: string;
  readonly #registrationId: string;
  readonly #log: Recorded[];
  /** Records before this were matched by a wait. */
  #consumed = 0;

  private constructor(cdp: CDPSession, origin: string, registrationId: string, log: Recorded[]) {
    this.#cdp = cdp;
    this.#origin = origin;
    this.#registrationId = registrationId;
    this.#log = log;
  }

  /** Through `cdp` (a session of a page of the browser context): the registration for `origin` (no trailing slash). */
  static async open(cdp: CDPSession, origin: string): Promise<NotificationWatch> {
    const ids: string[] = [];
    const log: Recorded[] = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (e) => {
      for (const r of e.registrations) if (!r.isDeleted && r.scopeURL.startsWith(origin)) ids.push(r.registrationId);
    });
    cdp.on("BackgroundService.backgroundServiceEventReceived", ({ backgroundServiceEvent: e }) => {
      if (e.origin !== `${origin}/`) return;
      const meta = Object.fromEntries(e.eventMetadata.map((m) => [m.key, m.value]));
      log.push({ service: e.service, name: e.eventName, tag: e.instanceId, meta, at: new Date(e.timestamp * 1000).toISOString().slice(11, 23) });
    });
    for (const service of ["notifications", "pushMessaging"] as const) {
      await cdp.send("BackgroundService.startObserving", { service });
      await cdp.send("BackgroundService.setRecording", { shouldRecord: true, service });
    }
    await cdp.send("ServiceWorker.enable");
    for (let i = 0; i < 100 && !ids.length; i++) await new Promise((r) => setTimeout(r, 50));
    if (ids[0] === undefined) throw new Error(`no service worker registered for ${origin}`);
    return new NotificationWatch(cdp, origin, ids[0], log);
  }

  /** A mark in the record, for {@link pushDone} and {@link displayedSince}. */
  mark(): number {
    return this.#log.length;
  }

  /** The notifications displayed since `mark` (title, body, tag). */
  displayedSince(mark: number): Array<Displayed> {
    return this.#log
      .slice(mark)
      .filter((r) => r.name === "Notification displayed")
      .map(displayed);
  }

  /** Hand push `data` (its JSON: a string as the push service decrypted it, or an object) to the worker. */
  async deliver(data: string | object): Promise<void> {
    const text = typeof data === "string" ? data : JSON.stringify(data);
    await this.#cdp.send("ServiceWorker.deliverPushMessage", { origin: `${this.#origin}/`, registrationId: this.#registrationId, data: text });
  }

  /** Once a push event handed over since `mark` has completed (within 30 s): the worker is done with it. */
  async pushDone(mark: number): Promise<void> {
    await this.#until(() => this.#log.slice(mark).some((r) => r.name === "Push event completed"), "no push event completed");
  }

  /** Deliver push `data`, then the notification tagged `tag` (and passing `ok`) it shows. */
  async notification(page: Page, data: string | object, tag: string, ok: (n: Displayed) => boolean = () => true): Promise<Shown> {
    await this.deliver(data);
    return this.shown(page, (n) => n.tag === tag && ok(n), `the notification ${tag}`);
  }

  /**
   * The first notification displayed (not matched by an earlier wait) that passes `ok`, within `ms`,
   * as `page`'s registration lists it: read once its "displayed" record is in (see above).
   */
  async shown(page: Page, ok: (n: Displayed) => boolean, what: string, ms = 30_000): Promise<Shown> {
    let at = -1;
    await this.#until(
      () => {
        at = this.#log.findIndex((r, i) => i >= this.#consumed && r.name === "Notification displayed" && ok(displayed(r)));
        return at >= 0;
      },
      `${what} was not displayed`,
      ms,
    );
    this.#consumed = at + 1;
    await new Promise((r) => setTimeout(r, NotificationWatch.SETTLE_MS));
    let listed: Shown[] = [];
    await this.#until(async () => (listed = await notifications(page)).some(ok), `${what} was displayed but the registration does not list it`, 10_000);
    return listed.find(ok)!;
  }

  async #until(done: () => boolean | Promise<boolean>, failure: string, ms = 30_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await done())) {
      if (Date.now() > end) {
        const log = this.#log.map((r) => `${r.at} ${r.service}: ${r.name} ${r.tag} ${JSON.stringify(r.meta)}`).join("\n  ");
        throw new Error(`${failure} (within ${ms / 1000} s); recorded for ${this.#origin}:\n  ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
