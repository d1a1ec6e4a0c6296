/**
 * Shared by the Web Push browser tests (issue 13): an org where Olivia (owner) and Bob share the
 * private channel #ops and a local push endpoint holds a subscription of Bob's (the server's
 * pushes for him arrive there, RFC 8291-decrypted); and reading the notifications a page's
 * service worker registration shows.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
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

/** The notifications the page's service worker registration shows. */
export function notifications(page: Page): Promise<Shown[]> {
  return page.evaluate(async () =>
    (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown })),
  );
}

/** The notification tagged `tag`, once shown (within 30 s). */
export async function waitForNotification(page: Page, tag: string): Promise<Shown> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = (await notifications(page)).find((x) => x.tag === tag);
    if (n) return n;
    if (Date.now() > deadline) throw new Error(`no notification ${tag}; shown: ${JSON.stringify(await notifications(page))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
