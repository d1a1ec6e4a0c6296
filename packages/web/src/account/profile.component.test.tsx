import { describe, expect, test } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ParleyError } from "@parley/sdk";
import type { Command } from "../worker/protocol.ts";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { catchDownloads } from "../testing/downloads.ts";
import { ProfilePage } from "./profile-page.tsx";
import { ResetPasswordDialog } from "../admin/reset-password-dialog.tsx";

const me = user("u-me", "me", "Me Myself", { statusText: "Out to lunch", email: null, avatar: null });
const bob = user("u-bob", "bob", "Bob Builder", { email: null });

const NOTIFY_SETTINGS = {
  level: "all",
  timeZone: "UTC",
  dndSchedule: [],
  snoozeUntil: null,
  email: { enabled: false, delayMinutes: 15 },
  keywordsSealed: null,
  channels: [],
};

const apiBodies = (cmds: Command[], route: string) => cmds.flatMap((c) => (c.op === "api" && c.route === route ? [(c.input as { body?: unknown }).body] : []));

async function profile(notify: { settings?: object; keywords?: unknown } = {}) {
  const f = await chatFixture({ me, users: [bob] });
  f.worker.answers.set("api:me", { user: { ...me, email: "me@example.org" }, org: f.chat.org, deviceId: "dev-me", sessionId: "sess-1" });
  f.worker.answers.set("api:getPasswordPolicy", { minLength: 12, blockCommon: true });
  f.worker.answers.set("api:listPasskeys", { passkeys: [] });
  f.worker.answers.set("api:listSessions", { sessions: [] });
  f.worker.answers.set("api:listMyOAuthGrants", { grants: [] });
  f.worker.answers.set("api:listMyGdprRequests", { requests: [] });
  f.worker.answers.set("api:getNotificationSettings", notify.settings ?? NOTIFY_SETTINGS);
  f.worker.answers.set("keywords", "keywords" in notify ? notify.keywords : (c: Command) => ("seal" in c ? "c2VhbGVk" : []));
  f.render(<ProfilePage onSignOut={() => undefined} />);
  await screen.findByText("me@example.org");
  return { ...f, u: userEvent.setup() };
}

describe("Profile page", () => {
  test("saves the name and status; the status clears on its own", async () => {
    const f = await profile();
    f.worker.answers.set("api:updateMe", (c: Command) => ({ ...me, ...((c as { input: { body: object } }).input.body as object) }));
    const form = screen.getByRole("form", { name: "Name and status" });
    await f.u.clear(within(form).getByLabelText("Display name"));
    await f.u.type(within(form).getByLabelText("Display name"), "Me Again");
    await f.u.clear(within(form).getByLabelText("Status"));
    await f.u.type(within(form).getByLabelText("Status"), "  Travelling  ");
    await f.u.click(within(form).getByRole("button", { name: "Save" }));
    await within(form).findByText("Saved.");
    await f.u.click(within(form).getByRole("button", { name: "Clear status" }));
    await within(form).findByText("Status cleared.");
    expect(apiBodies(f.worker.commands, "updateMe")).toEqual([
      { displayName: "Me Again", statusText: "Travelling", statusEmoji: null, statusExpiresAt: null, title: null, timeZone: null },
      { statusText: null },
    ]);
    expect((within(form).getByLabelText("Status") as HTMLInputElement).value).toBe("");
  });

  test("a suggested status with its expiry, a title and a time zone are saved as one change", async () => {
    const f = await profile();
    f.worker.answers.set("api:updateMe", (c: Command) => ({ ...me, ...((c as { input: { body: object } }).input.body as object) }));
    const form = screen.getByRole("form", { name: "Name and status" });
    await f.u.click(within(form).getByRole("button", { name: "📅 In a meeting" }));
    expect((within(form).getByLabelText("Clear status after") as HTMLSelectElement).value).toBe("1h");
    await f.u.type(within(form).getByLabelText("Title"), "Head of Payments");
    await f.u.type(within(form).getByLabelText("Time zone"), "Europe/Berlin");
    const before = Date.now();
    await f.u.click(within(form).getByRole("button", { name: "Save" }));
    await within(form).findByText("Saved.");
    const [body] = apiBodies(f.worker.commands, "updateMe") as Array<Record<string, unknown>>;
    expect(body).toMatchObject({ statusEmoji: "📅", statusText: "In a meeting", title: "Head of Payments", timeZone: "Europe/Berlin" });
    expect(body!.statusExpiresAt as number).toBeGreaterThanOrEqual(before + 3600_000);
    expect(body!.statusExpiresAt as number).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  test("change password: the policy's length is checked here, the server's reasons are shown, other sessions can be signed out", async () => {
    const f = await profile();
    const form = screen.getByRole("form", { name: "Change password" });
    await screen.findByText(/At least 12 characters/);
    let answer: unknown = new ParleyError({ code: "password_rejected", status: 400, message: "x", details: { reason: "contains_name" } });
    f.worker.answers.set("api:changePassword", () => answer);
    await f.u.type(within(form).getByLabelText("Current password"), "old password here");
    await f.u.type(within(form).getByLabelText("New password"), "too short");
    await f.u.type(within(form).getByLabelText("Confirm new password"), "too short");
    await f.u.click(within(form).getByRole("button", { name: "Change password" }));
    expect((await within(form).findByRole("alert")).textContent).toMatch(/at least 12 characters/);
    expect(apiBodies(f.worker.commands, "changePassword")).toEqual([]);

    await f.u.type(within(form).getByLabelText("New password"), " me me me");
    await f.u.type(within(form).getByLabelText("Confirm new password"), " me me me");
    await f.u.click(within(form).getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(within(form).getByRole("alert").textContent).toMatch(/contains your username/));

    answer = new ParleyError({ code: "invalid_credentials", status: 401, message: "x" });
    await f.u.click(within(form).getByRole("button", { name: "Change password" }));
    await waitFor(() => expect(within(form).getByRole("alert").textContent).toMatch(/current password is wrong/));

    answer = undefined;
    await f.u.click(within(form).getByLabelText("Sign out my other sessions"));
    await f.u.click(within(form).getByRole("button", { name: "Change password" }));
    await within(form).findByText("Password changed. Your other sessions are signed out.");
    expect(apiBodies(f.worker.commands, "changePassword").at(-1)).toEqual({
      currentPassword: "old password here",
      newPassword: "too short me me me",
      signOutOtherSessions: true,
    });
    expect((within(form).getByLabelText("New password") as HTMLInputElement).value).toBe("");
  });

  test("change email: current password and new address; says where the link went", async () => {
    const f = await profile();
    f.worker.answers.set("api:changeEmail", { pendingEmail: "new@example.org", expiresAt: Date.now() + 86_400_000 });
    const form = screen.getByRole("form", { name: "Change email address" });
    await f.u.type(within(form).getByLabelText("New email address"), "New@Example.org");
    await f.u.type(within(form).getByLabelText("Current password"), "my password");
    await f.u.click(within(form).getByRole("button", { name: "Change email address" }));
    await screen.findByText(/We sent a link to/);
    expect(screen.getByText("new@example.org")).toBeTruthy();
    expect(apiBodies(f.worker.commands, "changeEmail")).toEqual([{ currentPassword: "my password", email: "New@Example.org" }]);
  });
});

const erasure = {
  id: "gdpr-1",
  kind: "erase" as const,
  status: "pending" as const,
  userId: me.id,
  username: me.username,
  requestedBy: me.id,
  requestedAt: Date.UTC(2026, 0, 15),
  note: "",
  decidedBy: null,
  decidedAt: null,
  response: "",
};

type ExportCommand = Extract<Command, { op: "dataExport" }>;

describe("Profile → Your data", () => {
  test("downloads one ZIP with this device's decrypted messages, showing progress; asks for erasure once", async () => {
    const f = await profile();
    const section = screen.getByRole("region", { name: "Your data" });
    expect(section.textContent).toContain("this device decrypts the messages of every channel you are in");
    expect((within(section).getByRole("checkbox", { name: "Include my decrypted messages from this device" }) as HTMLInputElement).checked).toBe(true);
    // The worker's side: progress on the command's port, then the ZIP once the test lets it finish.
    let finish: () => void = () => undefined;
    f.worker.answers.set("dataExport", (c: ExportCommand) => {
      c.history!.postMessage({ channel: 2, channels: 3, name: "general", file: "messages/general.jsonl", events: 40, total: 57 });
      return new Promise((resolve) => {
        finish = () => {
          c.history!.postMessage({ channel: 3, channels: 3, name: "", file: "messages/dm-bob.jsonl", events: 3, total: 60 });
          setTimeout(() => resolve({ filename: "parley-export-me.zip", bytes: new Uint8Array([80, 75, 5, 6]) }), 20);
        };
      });
    });
    const saved = catchDownloads();
    await f.u.click(within(section).getByRole("button", { name: "Download my data" }));
    const progress = await within(section).findByRole("status", { name: "Export progress" });
    await waitFor(() => expect(progress.textContent).toBe("Decrypting your messages on this device: channel 2 of 3 (#general), 57 events so far…"));
    expect((within(section).getByRole("checkbox") as HTMLInputElement).disabled).toBe(true);
    finish();
    await waitFor(() =>
      expect(within(section).getByRole("status").textContent).toBe(
        "Saved parley-export-me.zip: your data from the server and 60 events from 3 channels, decrypted on this device.",
      ),
    );
    expect(f.worker.commands.filter((c) => c.op === "dataExport")).toEqual([expect.objectContaining({ history: expect.anything() })]);
    expect(saved.blobs.map((b) => b.type)).toEqual(["application/zip"]);
    expect(saved.clicks()).toBe(1);
    saved.restore();

    const asked = { ...erasure, note: "Leaving the company" };
    f.worker.answers.set("api:createGdprRequest", asked);
    await f.u.click(within(section).getByRole("button", { name: "Ask to erase my account" }));
    const dialog = screen.getByRole("dialog");
    await f.u.type(within(dialog).getByRole("textbox", { name: "Message to the officers (optional)" }), "Leaving the company");
    f.worker.answers.set("api:listMyGdprRequests", { requests: [asked] });
    await f.u.click(within(dialog).getByRole("button", { name: "Send request" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect((await within(section).findByTestId("erasure-request")).textContent).toMatch(
      /^You asked for your erasure on .*The compliance officers will answer\.$/,
    );
    expect((within(section).getByRole("button", { name: "Ask to erase my account" }) as HTMLButtonElement).disabled).toBe(true);
    expect(apiBodies(f.worker.commands, "createGdprRequest")).toEqual([{ kind: "erase", note: "Leaving the company" }]);
  });

  test("Cancel stops the history export and saves nothing; unticked, only the server's export is fetched", async () => {
    const f = await profile();
    const section = screen.getByRole("region", { name: "Your data" });
    const heard: unknown[] = [];
    f.worker.answers.set("dataExport", (c: ExportCommand) => {
      if (!c.history) return { filename: "parley-export-me.zip", bytes: new Uint8Array([80, 75, 5, 6]) };
      c.history.onmessage = (m: MessageEvent) => heard.push(m.data);
      return new Promise(() => undefined); // still reading when the user cancels
    });
    const saved = catchDownloads();
    await f.u.click(within(section).getByRole("button", { name: "Download my data" }));
    expect((await within(section).findByRole("status", { name: "Export progress" })).textContent).toBe("Downloading your data from the server…");
    await f.u.click(within(section).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(within(section).getByRole("status").textContent).toBe("Cancelled: nothing was saved."));
    await waitFor(() => expect(heard).toEqual(["cancel"]));
    expect(within(section).queryByRole("button", { name: "Cancel" })).toBeNull();
    expect(saved.clicks()).toBe(0);

    await f.u.click(within(section).getByRole("checkbox", { name: "Include my decrypted messages from this device" }));
    await f.u.click(within(section).getByRole("button", { name: "Download my data" }));
    await waitFor(() => expect(within(section).getByRole("status").textContent).toBe("Saved parley-export-me.zip."));
    expect(f.worker.commands.filter((c) => c.op === "dataExport").at(-1)).toEqual(expect.not.objectContaining({ history: expect.anything() }));
    expect(saved.clicks()).toBe(1);
    saved.restore();
  });
});

describe("Admin: reset a user's password", () => {
  test("explains what happens, then shows the one-time link when it could not be emailed", async () => {
    const f = await chatFixture({ me: { ...me, role: "admin" }, users: [bob] });
    const url = `${location.origin}/reset-password#token=admin-link-0123456789abcdef`;
    f.worker.answers.set("api:adminResetPassword", { emailed: false, resetUrl: url, expiresAt: Date.now() + 3_600_000 });
    f.render(<ResetPasswordDialog user={bob} onClose={() => undefined} />);
    const u = userEvent.setup();
    const dialog = screen.getByRole("dialog", { name: "Reset password?" });
    expect(dialog.textContent).toMatch(/current password stops working at once, and every session they have ends/);
    expect(dialog.textContent).toMatch(/no email address, so you get a link to hand over/);
    await u.click(within(dialog).getByRole("button", { name: "Reset password" }));
    const result = await screen.findByRole("dialog", { name: "Password reset for @bob" });
    expect((within(result).getByLabelText("One-time reset link for @bob") as HTMLInputElement).value).toBe(url);
    expect(
      f.worker.commands.some((c) => c.op === "api" && c.route === "adminResetPassword" && (c.input as { params: { id: string } }).params.id === bob.id),
    ).toBe(true);
  });
});

describe("Profile → Notifications", () => {
  test("the fields wait for the stored settings, so a late answer cannot undo a choice; a snooze keeps unsaved edits", async () => {
    let answer!: (s: typeof NOTIFY_SETTINGS) => void;
    const f = await profile({ settings: new Promise((r) => (answer = r)) });
    f.worker.answers.set("api:updateNotificationSettings", (c: Command) => ({
      ...NOTIFY_SETTINGS,
      level: "mentions",
      snoozeUntil: c.op === "api" ? ((c.input as { body: { snoozeUntil?: number } }).body.snoozeUntil ?? null) : null,
    }));
    const form = screen.getByRole("form", { name: "Notification settings" });
    const nothing = within(form).getByRole("radio", { name: "Nothing" }) as HTMLInputElement;
    const quiet = within(form).getByRole("checkbox", { name: "Quiet hours every day" }) as HTMLInputElement;
    const fields = [...within(form).getAllByRole("radio"), ...within(form).getAllByRole("checkbox")] as HTMLInputElement[];
    expect(fields.map((x) => x.disabled)).toEqual(fields.map(() => true));
    expect((within(form).getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);

    answer({ ...NOTIFY_SETTINGS, level: "mentions" });
    await waitFor(() => expect(nothing.disabled).toBe(false));
    expect((within(form).getByRole("radio", { name: "Mentions and direct messages" }) as HTMLInputElement).checked).toBe(true);
    await f.u.click(nothing);
    await f.u.click(quiet);
    await f.u.click(within(form).getByRole("button", { name: "Snooze for 1 hour" }));
    await within(form).findByRole("button", { name: /End snooze/ });
    // The snooze went out alone, and the form still shows what was chosen and not yet saved.
    expect(apiBodies(f.worker.commands, "updateNotificationSettings").map((b) => Object.keys(b as object))).toEqual([["snoozeUntil"]]);
    expect(nothing.checked).toBe(true);
    expect(quiet.checked).toBe(true);
    expect(within(form).getByLabelText("Quiet from")).toBeTruthy();
  });

  test("mention email: turned on with its delay in the notification settings", async () => {
    const { u, worker } = await profile();
    const form = await screen.findByRole("form", { name: "Notification settings" });
    worker.answers.set("api:updateNotificationSettings", { ...NOTIFY_SETTINGS, email: { enabled: true, delayMinutes: 30 } });
    const emailOn = within(form).getByRole("checkbox", { name: /Email me about unread mentions/ }) as HTMLInputElement;
    await waitFor(() => expect(emailOn.disabled).toBe(false));
    await u.click(emailOn);
    const minutes = within(form).getByRole("spinbutton", { name: "Minutes away before the email" });
    await u.clear(minutes);
    await u.type(minutes, "30");
    await u.click(within(form).getByRole("button", { name: "Save" }));
    await screen.findByText("Notification settings saved.");
    const body = apiBodies(worker.commands, "updateNotificationSettings").at(-1) as { email: unknown };
    expect(body.email).toEqual({ enabled: true, delayMinutes: 30 });
  });

  test("keywords are sealed to the key locker in the worker and only the sealed list is sent", async () => {
    const { u, worker } = await profile();
    const form = await screen.findByRole("form", { name: "Notification settings" });
    const field = within(form).getByRole("textbox", { name: "Keywords" });
    await waitFor(() => expect((field as HTMLInputElement).disabled).toBe(false));
    worker.answers.set("api:updateNotificationSettings", { ...NOTIFY_SETTINGS, keywordsSealed: "c2VhbGVk" });
    await u.type(field, "deploy, Zoë, deploy");
    await u.click(within(form).getByRole("button", { name: "Save" }));
    await screen.findByText("Notification settings saved.");
    const seals = worker.commands.flatMap((c) => (c.op === "keywords" && "seal" in c ? [c.seal] : []));
    expect(seals).toEqual([["deploy", "Zoë"]]);
    const body = apiBodies(worker.commands, "updateNotificationSettings").at(-1) as { keywordsSealed: unknown };
    expect(body.keywordsSealed).toBe("c2VhbGVk");
    expect(JSON.stringify(apiBodies(worker.commands, "updateNotificationSettings"))).not.toContain("deploy");
  });

  test("a device without the locker key cannot edit the keywords (and does not overwrite them)", async () => {
    const f = await profile({ settings: { ...NOTIFY_SETTINGS, keywordsSealed: "b3RoZXI=" }, keywords: undefined });
    const form = await screen.findByRole("form", { name: "Notification settings" });
    await screen.findByText(/This device cannot read your keywords/);
    expect((within(form).getByRole("textbox", { name: "Keywords" }) as HTMLInputElement).disabled).toBe(true);
    f.worker.answers.set("api:updateNotificationSettings", NOTIFY_SETTINGS);
    await f.u.click(within(form).getByRole("button", { name: "Save" }));
    await screen.findByText("Notification settings saved.");
    expect(apiBodies(f.worker.commands, "updateNotificationSettings").at(-1)).not.toHaveProperty("keywordsSealed");
  });
});
