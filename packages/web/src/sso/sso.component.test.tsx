import { afterEach, describe, expect, test, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ClientSnapshot, Command } from "../worker/protocol.ts";
import { PeerWorker, user } from "../testing/chat-fixture.tsx";
import { SignInScreen } from "../components/auth/sign-in-screen.tsx";
import { SsoLandingScreen } from "./sso-landing-screen.tsx";

const ME = user("u-me", "erin", "Erin Example");
const ORG = { id: "org-1", slug: "acme", name: "Acme", createdAt: 1_700_000_000_000 };
const SNAPSHOT: ClientSnapshot = {
  me: ME,
  org: ORG,
  codec: { name: "mls", encrypted: true },
  session: { baseUrl: location.origin, userId: ME.id, username: ME.username, orgId: ORG.id, orgSlug: ORG.slug, deviceId: "dev-me", sessionId: "sess-1" },
  e2eeConfig: undefined,
};

afterEach(() => {
  vi.unstubAllGlobals();
  history.replaceState(null, "", "/");
});

describe("single sign-on in the web app", () => {
  test("the sign-in screen offers the typed org's providers, each a link to the server's start endpoint with the device name", async () => {
    const asked: string[] = [];
    vi.stubGlobal("fetch", async (url: string) => {
      const u = new URL(url);
      asked.push(u.searchParams.get("org") ?? "");
      const providers = u.searchParams.get("org") === "acme" ? [{ id: "idp_1", name: "Okta" }] : [];
      return new Response(JSON.stringify({ providers }), { status: 200, headers: { "content-type": "application/json" } });
    });
    const u = userEvent.setup();
    render(<SignInScreen notice={undefined} onSignedIn={vi.fn()} />);
    await u.type(screen.getByLabelText("Organisation"), "Acme");
    const link = await screen.findByRole("link", { name: "Sign in with Okta" });
    const device = (screen.getByLabelText("This device") as HTMLInputElement).value;
    expect(link.getAttribute("href")).toBe(`/auth/sso/idp_1/start?${new URLSearchParams({ deviceName: device })}`);
    expect(asked.at(-1)).toBe("acme");
    await u.clear(screen.getByLabelText("Organisation"));
    await u.type(screen.getByLabelText("Organisation"), "other");
    await waitFor(() => expect(screen.queryByRole("link", { name: "Sign in with Okta" })).toBeNull());
  });

  test("the landing page exchanges the code in a new client worker and drops it from the address bar", async () => {
    const starts: Command[] = [];
    class SsoWorker extends PeerWorker {
      constructor() {
        super();
        this.answers.set("api:listUsers", { users: [ME] });
        this.answers.set("call:channels", []);
        this.answers.set("start", (c: Command) => {
          starts.push(c);
          return SNAPSHOT;
        });
      }
    }
    vi.stubGlobal("Worker", SsoWorker);
    history.replaceState(null, "", "/sso#code=one-time-code-0123456789");
    const onSignedIn = vi.fn();
    render(<SsoLandingScreen onSignedIn={onSignedIn} />);
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledOnce());
    expect(location.hash).toBe("");
    expect(starts).toHaveLength(1);
    expect((starts[0] as Extract<Command, { op: "start" }>).start).toEqual({ mode: "sso", input: { code: "one-time-code-0123456789" } });
  });

  test("a refused sign-in shows the server's message and the way back", async () => {
    history.replaceState(
      null,
      "",
      `/sso#${new URLSearchParams({ error: "idp_unavailable", reason: "idp_unavailable", message: "your organisation's identity provider cannot be reached right now" })}`,
    );
    render(<SsoLandingScreen onSignedIn={vi.fn()} />);
    expect(screen.getByRole("heading", { name: "Single sign-on failed" })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe("Your organisation's identity provider cannot be reached right now.");
    expect(screen.getByRole("link", { name: "Back to sign-in" }).getAttribute("href")).toBe("/sign-in");
    expect(location.hash).toBe("");
  });
});
