import { afterEach, describe, expect, test, vi } from "vitest";
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ParleyError } from "@parley/sdk";
import type { MfaStatus } from "@parley/protocol";
import { chatFixture, user } from "../testing/chat-fixture.tsx";
import { catchDownloads } from "../testing/downloads.ts";
import { serializeError } from "../worker/errors.ts";
import type { Command } from "../worker/protocol.ts";
import { MfaSection } from "./mfa-section.tsx";
import { MfaPolicySection } from "../admin/mfa-policy-section.tsx";
import { UsersTab } from "../components/admin/users-tab.tsx";

const me = user("u-me", "me", "Me Myself");
const bob = user("u-bob", "bob", "Bob Builder");
const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const QR = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21"><path d="M0 0h7v7H0z"/></svg>';
const CODES = Array.from({ length: 10 }, (_, i) => `abcd${i}-efgh${i}`);
const off: MfaStatus = { totp: { enabled: false, enabledAt: null }, recoveryCodesLeft: 0, required: true, enrollBy: Date.UTC(2030, 0, 31, 12) };
const on: MfaStatus = { totp: { enabled: true, enabledAt: Date.UTC(2030, 0, 2) }, recoveryCodesLeft: 2, required: true, enrollBy: null };

const bodies = (cmds: Command[], route: string) => cmds.flatMap((c) => (c.op === "api" && c.route === route ? [(c.input as { body?: unknown }).body] : []));

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("Profile: two-factor authentication", () => {
  test("set up: required by the org with its deadline; password → QR image and grouped key → code → ten codes shown once", async () => {
    const f = await chatFixture({ me, users: [bob] });
    let status = off;
    f.worker.answers.set("api:getMfa", () => status);
    f.worker.answers.set("api:startTotp", { secret: SECRET, otpauthUri: `otpauth://totp/Parley:me?secret=${SECRET}`, qrSvg: QR });
    let confirm: unknown = new ParleyError({ code: "mfa_invalid", status: 401, message: "wrong" });
    f.worker.answers.set("api:confirmTotp", () => confirm);
    const { blobs, clicks } = catchDownloads();
    f.render(<MfaSection />);
    const u = userEvent.setup();

    const statusLine = await screen.findByTestId("mfa-status");
    expect(statusLine.textContent).toMatch(/^Off\./);
    expect(statusLine.textContent).toMatch(/Required by your organisation\. Set it up by /);
    expect(statusLine.textContent).toContain(new Date(off.enrollBy!).toLocaleString());

    await u.click(screen.getByRole("button", { name: "Set up two-factor authentication" }));
    const pw = screen.getByRole("form", { name: "Set up two-factor authentication" });
    await u.type(within(pw).getByLabelText("Current password"), "my password");
    await u.click(within(pw).getByRole("button", { name: "Continue" }));

    const img = (await screen.findByAltText("QR code to scan with your authenticator app")) as HTMLImageElement;
    expect(img.src.startsWith("data:image/svg+xml;base64,")).toBe(true);
    expect(atob(img.src.split(",")[1]!)).toBe(QR);
    // The server's SVG never becomes markup in the page.
    expect(document.querySelector("svg path[d='M0 0h7v7H0z']")).toBeNull();
    expect(screen.getByTestId("totp-secret").textContent).toBe("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP");

    const form = screen.getByRole("form", { name: "Confirm your authenticator app" });
    await u.type(within(form).getByLabelText("Code from the app"), "000000");
    await u.click(within(form).getByRole("button", { name: "Turn on two-factor authentication" }));
    expect((await within(form).findByRole("alert")).textContent).toMatch(/wrong or was already used; wait for the next code/);

    confirm = { recoveryCodes: CODES };
    status = { ...on, recoveryCodesLeft: 10 };
    await u.type(within(form).getByLabelText("Code from the app"), "123456");
    await u.click(within(form).getByRole("button", { name: "Turn on two-factor authentication" }));
    const list = await screen.findByTestId("recovery-codes");
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(CODES);
    expect(bodies(f.worker.commands, "startTotp")).toEqual([{ currentPassword: "my password" }]);
    expect(bodies(f.worker.commands, "confirmTotp")).toEqual([{ code: "000000" }, { code: "123456" }]);

    await u.click(screen.getByRole("button", { name: "Download as text" }));
    expect(clicks()).toBeGreaterThan(0);
    const text = await blobs[0]!.text();
    expect(text).toMatch(/^Parley recovery codes for me in Acme/);
    for (const c of CODES) expect(text).toContain(`\n${c}\n`);

    // The codes stay until the user says they saved them.
    const done = screen.getByRole("button", { name: "Done" });
    expect((done as HTMLButtonElement).disabled).toBe(true);
    await u.click(screen.getByLabelText("I saved them"));
    await u.click(done);
    await screen.findByText("Two-factor authentication is on.");
    expect(screen.queryByTestId("recovery-codes")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("mfa-status").textContent).toMatch(/^On since .*10 recovery codes left\./));
  });

  test("on: few codes left are flagged; new codes take a code; turning off while the org requires it says so", async () => {
    const f = await chatFixture({ me, users: [bob] });
    f.worker.answers.set("api:getMfa", on);
    f.worker.answers.set("api:regenerateRecoveryCodes", { recoveryCodes: CODES });
    f.worker.answers.set("api:disableTotp", new ParleyError({ code: "forbidden", status: 403, message: "required" }));
    f.render(<MfaSection />);
    const u = userEvent.setup();
    expect((await screen.findByTestId("mfa-status")).textContent).toMatch(/2 recovery codes left\. Make new ones before you run out\./);

    await u.click(screen.getByRole("button", { name: "New recovery codes" }));
    const form = screen.getByRole("form", { name: "New recovery codes" });
    await u.type(within(form).getByLabelText("6-digit code"), "246 810");
    await u.click(within(form).getByRole("button", { name: "Make new codes" }));
    await screen.findByTestId("recovery-codes");
    expect(bodies(f.worker.commands, "regenerateRecoveryCodes")).toEqual([{ code: "246810" }]);
    await u.click(screen.getByLabelText("I saved them"));
    await u.click(screen.getByRole("button", { name: "Done" }));
    await screen.findByText("New recovery codes saved.");

    await u.click(screen.getByRole("button", { name: "Turn off" }));
    const off = screen.getByRole("form", { name: "Turn off two-factor authentication" });
    await u.type(within(off).getByLabelText("Current password"), "my password");
    await u.type(within(off).getByLabelText("6-digit code"), "135791");
    await u.click(within(off).getByRole("button", { name: "Turn off two-factor authentication" }));
    expect((await within(off).findByRole("alert")).textContent).toMatch(/requires two-factor authentication, so you cannot turn it off/);
    expect(bodies(f.worker.commands, "disableTotp")).toEqual([{ currentPassword: "my password", code: "135791" }]);
  });
});

describe("The org requires MFA of a running session", () => {
  test("the socket's refusal or any call's marks the store: the app shows the enrolment screen", async () => {
    const f = await chatFixture({ me, users: [bob] });
    expect(f.chat.enrolmentRequired).toBe(false);
    f.worker.push({ t: "events", batch: [["error", serializeError(new ParleyError({ code: "mfa_enrollment_required", status: 403, message: "enrol" }))]] });
    await waitFor(() => expect(f.chat.enrolmentRequired).toBe(true));

    const g = await chatFixture({ me, users: [bob] });
    g.worker.answers.set("api:listChannels", new ParleyError({ code: "mfa_enrollment_required", status: 403, message: "enrol" }));
    await expect(g.chat.client.api.call("listChannels")).rejects.toThrow("enrol");
    expect(g.chat.enrolmentRequired).toBe(true);
  });
});

describe("Admin: two-factor authentication", () => {
  test("the policy: required, roles, grace days; a policy that would cover the admin without MFA says to set it up first", async () => {
    const f = await chatFixture({ me: { ...me, role: "owner" }, users: [bob] });
    f.worker.answers.set("api:getMfaPolicy", { required: false, roles: ["owner", "admin", "member", "guest"], graceDays: 7 });
    let answer: unknown = new ParleyError({ code: "bad_request", status: 400, message: "set up an authenticator app for yourself first" });
    f.worker.answers.set("api:setMfaPolicy", (c: Command) => answer ?? (c as { input: { body: unknown } }).input.body);
    f.render(<MfaPolicySection />);
    const u = userEvent.setup();
    const form = await screen.findByRole("form", { name: "Two-factor authentication policy" });
    await waitFor(() => expect((within(form).getByLabelText("Grace period (days)") as HTMLInputElement).value).toBe("7"));
    expect((within(form).getByLabelText("Grace period (days)") as HTMLInputElement).disabled).toBe(true);

    await u.click(within(form).getByLabelText("Require two-factor authentication"));
    await u.click(within(form).getByLabelText("Guests"));
    await u.clear(within(form).getByLabelText("Grace period (days)"));
    await u.type(within(form).getByLabelText("Grace period (days)"), "91");
    await u.click(within(form).getByRole("button", { name: "Save two-factor policy" }));
    expect((await within(form).findByRole("alert")).textContent).toMatch(/whole number of days from 0 to 90/);

    await u.clear(within(form).getByLabelText("Grace period (days)"));
    await u.type(within(form).getByLabelText("Grace period (days)"), "0");
    await u.click(within(form).getByRole("button", { name: "Save two-factor policy" }));
    await waitFor(() => expect(within(form).getByRole("alert").textContent).toMatch(/would require two-factor authentication of you/));
    expect(within(form).getByRole("link", { name: "Set up two-factor authentication on your profile" }).getAttribute("href")).toBe("/profile");

    answer = undefined;
    await u.click(within(form).getByRole("button", { name: "Save two-factor policy" }));
    await within(form).findByText("Saved.");
    expect(bodies(f.worker.commands, "setMfaPolicy").at(-1)).toEqual({ required: true, roles: ["owner", "admin", "member"], graceDays: 0 });
  });

  test("Reset 2FA on other users' rows only; the dialog says what happens", async () => {
    const f = await chatFixture({ me: { ...me, role: "admin" }, users: [bob] });
    f.worker.answers.set("api:adminResetMfa", undefined);
    f.render(<UsersTab />);
    const u = userEvent.setup();
    expect(screen.queryByRole("button", { name: "Reset two-factor authentication of me" })).toBeNull();
    await u.click(screen.getByRole("button", { name: "Reset two-factor authentication of bob" }));
    const dialog = screen.getByRole("dialog", { name: "Reset two-factor authentication?" });
    expect(dialog.textContent).toMatch(/authenticator app and all their recovery codes are removed/);
    expect(dialog.textContent).toMatch(/signed out everywhere/);
    await u.click(within(dialog).getByRole("button", { name: "Reset two-factor authentication" }));
    await screen.findByRole("dialog", { name: "Two-factor authentication reset for @bob" });
    expect(f.worker.commands.some((c) => c.op === "api" && c.route === "adminResetMfa" && (c.input as { params: { id: string } }).params.id === bob.id)).toBe(
      true,
    );
  });
});
