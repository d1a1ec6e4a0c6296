import { afterEach, describe, expect, test, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ForgotPasswordScreen } from "./forgot-password-screen.tsx";
import { ResetPasswordScreen } from "./reset-password-screen.tsx";
import { VerifyEmailScreen } from "./verify-email-screen.tsx";

const TOKEN = "reset-token-0123456789abcdef";
const ORG = { id: "org-1", slug: "acme", name: "Acme", createdAt: 1_700_000_000_000 };

/** The server, as fetch answers: a function per API path (after /api/v1) returning [status, body]. */
function serve(routes: Record<string, (body: unknown) => [number, unknown]>) {
  const calls: Array<{ path: string; body: unknown }> = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit) => {
    const path = new URL(url).pathname.replace(/^\/api\/v1/, "");
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ path, body });
    const route = routes[path];
    const [status, answer] = route ? route(body) : [404, { code: "not_found", message: "no route" }];
    return new Response(answer === undefined ? null : JSON.stringify(answer), { status, headers: { "content-type": "application/json" } });
  });
  return calls;
}

afterEach(() => {
  vi.unstubAllGlobals();
  history.replaceState(null, "", "/");
});

describe("Forgot password", () => {
  test("asks for a link with the org and login as typed (lowercased) and answers the same whether or not the account exists", async () => {
    const calls = serve({ "/auth/password-reset": () => [202, { accepted: true }] });
    const u = userEvent.setup();
    render(<ForgotPasswordScreen org="Acme" login={undefined} />);
    await u.type(screen.getByLabelText("Username or email"), " Bob@Example.org ");
    await u.click(screen.getByRole("button", { name: "Email me a link" }));
    await screen.findByText("If that account has an email address, a link is on its way. It works once, for one hour.");
    expect(calls).toEqual([{ path: "/auth/password-reset", body: { org: "acme", login: "bob@example.org" } }]);
    expect(screen.getByRole("link", { name: "Back to sign in" }).getAttribute("href")).toBe("/sign-in?org=acme");
  });

  test("a server without email says to ask an admin", async () => {
    serve({ "/auth/password-reset": () => [503, { code: "email_unavailable", message: "no smtp" }] });
    const u = userEvent.setup();
    render(<ForgotPasswordScreen org="acme" login="bob" />);
    await u.click(screen.getByRole("button", { name: "Email me a link" }));
    expect((await screen.findByRole("alert")).textContent).toBe("This server cannot send email; ask an admin to reset your password.");
  });
});

describe("Reset password (the emailed link)", () => {
  test("reads the token from the fragment and removes it from the address bar; checks length locally; ends at a pre-filled sign-in link", async () => {
    history.replaceState(null, "", `/reset-password#token=${TOKEN}`);
    const calls = serve({
      "/auth/password-reset/check": () => [200, { org: ORG, username: "bob", expiresAt: Date.now() + 3_600_000, policy: { minLength: 12, blockCommon: true } }],
      "/auth/password-reset/complete": (b) =>
        (b as { newPassword: string }).newPassword === "password1234"
          ? [400, { code: "password_rejected", message: "common", details: { reason: "common" } }]
          : [204, undefined],
    });
    const u = userEvent.setup();
    render(<ResetPasswordScreen />);
    await screen.findByText("@bob");
    expect(location.hash).toBe("");
    expect(location.pathname).toBe("/reset-password");
    expect(screen.getByText(/At least 12 characters/)).toBeTruthy();

    await u.type(screen.getByLabelText("New password"), "short");
    await u.type(screen.getByLabelText("Confirm new password"), "short");
    await u.click(screen.getByRole("button", { name: "Set new password" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/too short: use at least 12 characters/);
    expect(calls.map((c) => c.path)).toEqual(["/auth/password-reset/check"]);

    await u.clear(screen.getByLabelText("New password"));
    await u.clear(screen.getByLabelText("Confirm new password"));
    await u.type(screen.getByLabelText("New password"), "password1234");
    await u.type(screen.getByLabelText("Confirm new password"), "password1234");
    await u.click(screen.getByRole("button", { name: "Set new password" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/common or leaked/));

    await u.clear(screen.getByLabelText("New password"));
    await u.clear(screen.getByLabelText("Confirm new password"));
    await u.type(screen.getByLabelText("New password"), "plum tiger lantern");
    await u.type(screen.getByLabelText("Confirm new password"), "plum tiger lantern");
    await u.click(screen.getByRole("button", { name: "Set new password" }));
    await screen.findByRole("heading", { name: "Password changed — sign in" });
    expect(screen.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/sign-in?org=acme&username=bob");
    expect(calls.at(-1)).toEqual({ path: "/auth/password-reset/complete", body: { token: TOKEN, newPassword: "plum tiger lantern" } });
  });

  test("an expired or used link says to ask for a new one, linking to the forgot screen", async () => {
    history.replaceState(null, "", `/reset-password#token=${TOKEN}`);
    serve({ "/auth/password-reset/check": () => [400, { code: "token_invalid", message: "gone" }] });
    render(<ResetPasswordScreen />);
    expect((await screen.findByRole("alert")).textContent).toBe("This link has expired or was already used; ask for a new one.");
    expect(screen.getByRole("link", { name: "Ask for a new link" }).getAttribute("href")).toBe("/forgot-password");
  });

  test("a link without a token asks for the whole link, without calling the server", async () => {
    history.replaceState(null, "", "/reset-password");
    const calls = serve({});
    render(<ResetPasswordScreen />);
    expect((await screen.findByRole("alert")).textContent).toMatch(/This link is incomplete/);
    expect(calls).toEqual([]);
  });
});

describe("Verify email (the emailed link)", () => {
  test("confirms once and shows the address", async () => {
    history.replaceState(null, "", `/verify-email#token=${TOKEN}`);
    const calls = serve({ "/auth/email/verify": () => [200, { email: "bob@example.org" }] });
    render(<VerifyEmailScreen signedIn={false} />);
    await screen.findByText("bob@example.org");
    expect(location.hash).toBe("");
    expect(calls).toEqual([{ path: "/auth/email/verify", body: { token: TOKEN } }]);
  });
});
