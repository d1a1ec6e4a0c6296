import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ParleyError, type SecondFactor } from "@parley/sdk";
import type { MfaChallenge, Passkey } from "@parley/protocol";
import { ChatStore } from "../client/chat-store.ts";
import { SignInScreen, LAST_ORG_KEY } from "../components/auth/sign-in-screen.tsx";
import { chatFixture, PeerWorker, user } from "../testing/chat-fixture.tsx";
import type { ClientSnapshot, Command } from "../worker/protocol.ts";
import { MfaSection } from "../mfa/mfa-section.tsx";
import { PasskeysSection } from "./passkeys-section.tsx";

const ME = user("u-me", "me", "Me Myself");
const ORG = { id: "org-1", slug: "acme", name: "Acme", createdAt: 1_700_000_000_000 };
const SNAPSHOT: ClientSnapshot = {
  me: ME,
  org: ORG,
  codec: { name: "mls", encrypted: true },
  session: { baseUrl: location.origin, userId: ME.id, username: ME.username, orgId: ORG.id, orgSlug: ORG.slug, deviceId: "dev-me", sessionId: "sess-1" },
  e2eeConfig: undefined,
};
const CREATION_OPTIONS = {
  challenge: "Y2hhbGxlbmdl",
  rp: { id: "localhost", name: "Parley (Acme)" },
  user: { id: "dS1tZQ", name: "me@acme", displayName: "Me Myself" },
  pubKeyCredParams: [{ type: "public-key", alg: -7 }],
};
const REQUEST_OPTIONS = { challenge: "Y2hhbGxlbmdl", rpId: "localhost", userVerification: "required" };
const bytes = (s: string) => new TextEncoder().encode(s).buffer;

/**
 * The browser's WebAuthn, as jsdom lacks it: navigator.credentials answers like a platform
 * authenticator holding one passkey of user u-me (or fails as `fail` says).
 */
function fakeWebAuthn() {
  const state: { fail: DOMException | undefined; created: unknown[]; asked: unknown[] } = { fail: undefined, created: [], asked: [] };
  vi.stubGlobal("PublicKeyCredential", function PublicKeyCredential() {});
  const answer = (extra: object) => ({
    id: "cred-1",
    rawId: bytes("cred-1"),
    type: "public-key",
    getClientExtensionResults: () => ({}),
    authenticatorAttachment: "platform",
    ...extra,
  });
  const credentials = {
    create: async (o: CredentialCreationOptions) => {
      state.created.push(o.publicKey);
      if (state.fail) throw state.fail;
      return answer({ response: { attestationObject: bytes("attestation"), clientDataJSON: bytes("client-data"), getTransports: () => ["internal"] } });
    },
    get: async (o: CredentialRequestOptions) => {
      state.asked.push(o.publicKey);
      if (state.fail) throw state.fail;
      return answer({
        response: { authenticatorData: bytes("auth-data"), clientDataJSON: bytes("client-data"), signature: bytes("signature"), userHandle: bytes("u-me") },
      });
    },
  };
  Object.defineProperty(navigator, "credentials", { value: credentials, configurable: true });
  return state;
}

/** The server's auth "none" routes, as fetch answers them (path after /api/v1 → [status, body]). */
function serve(routes: Record<string, (body: unknown) => [number, unknown]>) {
  const calls: Array<{ path: string; body: unknown }> = [];
  vi.stubGlobal("fetch", async (url: string, init: RequestInit = {}) => {
    const path = new URL(url).pathname.replace(/^\/api\/v1/, "");
    const body = init.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ path, body });
    const route = routes[path];
    const [status, answer] = route ? route(body) : [404, { code: "not_found", message: "no route" }];
    return new Response(JSON.stringify(answer), { status, headers: { "content-type": "application/json" } });
  });
  return calls;
}

const apiBodies = (cmds: Command[], route: string) =>
  cmds.flatMap((c) => (c.op === "api" && c.route === route ? [c.input as { params?: unknown; body?: unknown }] : []));

let webauthn: ReturnType<typeof fakeWebAuthn>;
beforeEach(() => {
  webauthn = fakeWebAuthn();
});
afterEach(() => {
  vi.unstubAllGlobals();
  delete (navigator as { credentials?: unknown }).credentials;
});

describe("Profile: passkeys", () => {
  async function section(list: Passkey[]) {
    const f = await chatFixture({ me: ME, users: [] });
    let passkeys = list;
    f.worker.answers.set("api:listPasskeys", () => ({ passkeys }));
    f.render(<PasskeysSection />);
    await screen.findByRole("heading", { name: "Passkeys" });
    return { ...f, u: userEvent.setup(), set: (l: Passkey[]) => (passkeys = l) };
  }
  const laptop: Passkey = { id: "cred-0", name: "Laptop", createdAt: Date.UTC(2025, 0, 2), lastUsedAt: null, backedUp: true };

  test("lists them; adds one: password, the browser's prompt, a name", async () => {
    const f = await section([laptop]);
    const table = await screen.findByRole("table", { name: "Your passkeys" });
    const row = within(table).getByText("Laptop").closest("tr")!;
    expect(within(row).getByText("synced")).toBeTruthy();
    expect(within(row).getByText("Never")).toBeTruthy();

    let options: unknown = new ParleyError({ code: "invalid_credentials", status: 401, message: "wrong" });
    f.worker.answers.set("api:passkeyRegistrationOptions", () => options);
    f.worker.answers.set("api:registerPasskey", (c: Command) => {
      const body = (c as { input: { body: { name: string } } }).input.body;
      const added = { id: "cred-1", name: body.name, createdAt: Date.now(), lastUsedAt: null, backedUp: false };
      f.set([laptop, added]);
      return added;
    });
    await f.u.click(screen.getByRole("button", { name: "Add a passkey" }));
    const form = screen.getByRole("form", { name: "Add a passkey" });
    await f.u.type(within(form).getByLabelText("Current password"), "wrong password");
    await f.u.click(within(form).getByRole("button", { name: "Continue" }));
    expect((await within(form).findByRole("alert")).textContent).toMatch(/current password is wrong/);
    expect(webauthn.created).toEqual([]);

    options = { challengeId: "wac-1", options: CREATION_OPTIONS };
    await f.u.type(within(form).getByLabelText("Current password"), "my password");
    await f.u.click(within(form).getByRole("button", { name: "Continue" }));
    const naming = await screen.findByRole("form", { name: "Name your passkey" });
    const name = within(naming).getByLabelText("Passkey name") as HTMLInputElement;
    expect(name.value).not.toBe("");
    await f.u.clear(name);
    await f.u.type(name, "  Work laptop ");
    await f.u.click(within(naming).getByRole("button", { name: "Save passkey" }));
    await screen.findByText(/Passkey “Work laptop” added\./);
    await screen.findByText("Work laptop");
    const [register] = apiBodies(f.worker.commands, "registerPasskey");
    expect(register!.body).toMatchObject({ challengeId: "wac-1", name: "Work laptop", response: { id: "cred-1", type: "public-key" } });
    expect(apiBodies(f.worker.commands, "passkeyRegistrationOptions").map((c) => c.body)).toEqual([
      { currentPassword: "wrong password" },
      { currentPassword: "my password" },
    ]);
  });

  test("a closed prompt adds nothing and says so", async () => {
    const f = await section([]);
    await screen.findByText("You have no passkeys yet.");
    f.worker.answers.set("api:passkeyRegistrationOptions", { challengeId: "wac-1", options: CREATION_OPTIONS });
    webauthn.fail = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
    await f.u.click(screen.getByRole("button", { name: "Add a passkey" }));
    await f.u.type(screen.getByLabelText("Current password"), "my password");
    await f.u.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toBe("No passkey was created: the prompt was closed or timed out. Try again when you are ready.");
    expect(apiBodies(f.worker.commands, "registerPasskey")).toEqual([]);
  });

  test("renames one; removing the last second factor the org requires is refused with the way out", async () => {
    const f = await section([laptop]);
    f.worker.answers.set("api:renamePasskey", (c: Command) => {
      const renamed = { ...laptop, name: (c as { input: { body: { name: string } } }).input.body.name };
      f.set([renamed]);
      return renamed;
    });
    await f.u.click(await screen.findByRole("button", { name: "Rename Laptop" }));
    const input = screen.getByLabelText("Passkey name");
    await f.u.clear(input);
    await f.u.type(input, "Home laptop");
    await f.u.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Passkey renamed.");
    await screen.findByText("Home laptop");
    expect(apiBodies(f.worker.commands, "renamePasskey")).toEqual([{ params: { id: "cred-0" }, body: { name: "Home laptop" } }]);

    let removal: unknown = new ParleyError({ code: "forbidden", status: 403, message: "last factor" });
    f.worker.answers.set("api:deletePasskey", () => removal);
    await f.u.click(screen.getByRole("button", { name: "Remove Home laptop" }));
    const dialog = screen.getByRole("dialog", { name: "Remove passkey?" });
    await f.u.click(within(dialog).getByRole("button", { name: "Remove passkey" }));
    expect((await within(dialog).findByRole("alert")).textContent).toMatch(
      /requires two-factor authentication, and this passkey is your last second factor\. Add another passkey or set up an authenticator app first/,
    );
    removal = undefined;
    f.set([]);
    await f.u.click(within(dialog).getByRole("button", { name: "Remove passkey" }));
    await screen.findByText("Passkey removed.");
    await screen.findByText("You have no passkeys yet.");
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});

describe("Profile: two-factor authentication with passkeys", () => {
  test("a passkey is the second factor: no 'Off', no deadline to set one up; an app can be added", async () => {
    const f = await chatFixture({ me: ME, users: [] });
    f.worker.answers.set("api:getMfa", { totp: { enabled: false, enabledAt: null }, recoveryCodesLeft: 0, required: true, enrollBy: Date.now() + 86_400_000 });
    f.render(<MfaSection passkeys={2} />);
    const status = await screen.findByTestId("mfa-status");
    expect(status.textContent).toMatch(/^On with your passkeys: signing in with your password also asks for one of them/);
    expect(status.textContent).toMatch(/Required by your organisation\.$/);
    screen.getByRole("button", { name: "Add an authenticator app" });
  });
});

describe("Sign-in with a passkey", () => {
  /** Workers that sign in: `start` answers `answer`, or (with a challenge) asks for the second factor first. */
  function workers(opts: { challenge?: MfaChallenge } = {}) {
    const all: PeerWorker[] = [];
    const answers: SecondFactor[] = [];
    class SignInWorker extends PeerWorker {
      constructor() {
        super();
        all.push(this);
        let finish: (v: unknown) => void = () => undefined;
        this.answers.set("api:listUsers", { users: [ME] });
        this.answers.set("call:channels", []);
        this.answers.set("start", () => {
          if (!opts.challenge) return SNAPSHOT;
          const challenge = opts.challenge;
          queueMicrotask(() => this.push({ t: "secondFactor", challenge, previousError: undefined }));
          return new Promise((resolve) => (finish = resolve));
        });
        this.answers.set("secondFactor", (c: Command) => {
          answers.push((c as Extract<Command, { op: "secondFactor" }>).answer);
          finish(SNAPSHOT);
          return undefined;
        });
      }
    }
    vi.stubGlobal("Worker", SignInWorker);
    return { all, answers };
  }

  test("no username or password: the org's options, the prompt, and the worker signs in with the answer", async () => {
    const calls = serve({ "/auth/passkey/options": () => [200, { challengeId: "wac-9", options: REQUEST_OPTIONS }] });
    const { all } = workers();
    const onSignedIn = vi.fn();
    const u = userEvent.setup();
    render(<SignInScreen notice={undefined} onSignedIn={onSignedIn} />);
    await u.click(screen.getByRole("button", { name: "Sign in with a passkey" }));
    expect(screen.getByRole("alert").textContent).toBe("Type your organisation first: your passkey signs you in to it.");
    await u.type(screen.getByLabelText("Organisation"), " Acme ");
    await u.click(screen.getByRole("button", { name: "Sign in with a passkey" }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    expect(onSignedIn.mock.calls[0]![0]).toBeInstanceOf(ChatStore);
    expect(calls.filter((c) => c.path === "/auth/passkey/options")).toEqual([{ path: "/auth/passkey/options", body: { org: "acme" } }]);
    expect(webauthn.asked).toHaveLength(1);
    const start = all[0]!.commands.find((c) => c.op === "start") as Extract<Command, { op: "start" }>;
    expect(start.start).toMatchObject({
      mode: "passkey",
      input: { challengeId: "wac-9", response: { id: "cred-1", response: { userHandle: "dS1tZQ" } } },
    });
    expect(localStorage.getItem(LAST_ORG_KEY)).toBe("acme");
  });

  test("a passkey of another organisation, or a closed prompt, says what to do", async () => {
    serve({ "/auth/passkey/options": () => [200, { challengeId: "wac-9", options: REQUEST_OPTIONS }] });
    class RefusingWorker extends PeerWorker {
      constructor() {
        super();
        this.answers.set("start", new ParleyError({ code: "passkey_invalid", status: 401, message: "x", details: { reason: "unknown_credential" } }));
      }
    }
    vi.stubGlobal("Worker", RefusingWorker);
    const onSignedIn = vi.fn();
    const u = userEvent.setup();
    render(<SignInScreen notice={undefined} org="acme" onSignedIn={onSignedIn} />);
    await u.click(screen.getByRole("button", { name: "Sign in with a passkey" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/^That passkey is not registered in this organisation\. Check the organisation above/);
    webauthn.fail = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
    await u.click(screen.getByRole("button", { name: "Sign in with a passkey" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toMatch(/^No passkey was used: the prompt was closed or timed out/));
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  test("second factor: an account whose only one is a passkey gets 'Use a passkey'; the answer goes to the sign-in", async () => {
    const calls = serve({ "/auth/mfa/passkey": () => [200, { challengeId: "wac-5", options: REQUEST_OPTIONS }] });
    const challenge: MfaChallenge = { mfaToken: "mfa-token-0123456789abcdef", methods: ["passkey"], expiresAt: Date.now() + 300_000 };
    const { answers } = workers({ challenge });
    const onSignedIn = vi.fn();
    const u = userEvent.setup();
    render(<SignInScreen notice={undefined} org="acme" username="me" onSignedIn={onSignedIn} />);
    await u.type(screen.getByLabelText("Password"), "my password");
    await u.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByRole("heading", { name: "Two-factor authentication" });
    expect(screen.queryByLabelText("6-digit code")).toBeNull();
    expect(screen.queryByRole("button", { name: "Use a recovery code instead" })).toBeNull();
    await u.click(screen.getByRole("button", { name: "Use a passkey" }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    expect(calls).toContainEqual({ path: "/auth/mfa/passkey", body: { mfaToken: challenge.mfaToken } });
    expect(answers).toEqual([{ passkey: expect.objectContaining({ id: "cred-1", type: "public-key" }) }]);
  });

  test("second factor: with an app as well, the code comes first and 'Use a passkey instead' opens the prompt", async () => {
    serve({ "/auth/mfa/passkey": () => [200, { challengeId: "wac-5", options: REQUEST_OPTIONS }] });
    const challenge: MfaChallenge = { mfaToken: "mfa-token-0123456789abcdef", methods: ["totp", "passkey", "recovery_code"], expiresAt: Date.now() + 300_000 };
    const { answers } = workers({ challenge });
    const onSignedIn = vi.fn();
    const u = userEvent.setup();
    render(<SignInScreen notice={undefined} org="acme" username="me" onSignedIn={onSignedIn} />);
    await u.type(screen.getByLabelText("Password"), "my password");
    await u.click(screen.getByRole("button", { name: "Sign in" }));
    await screen.findByLabelText("6-digit code");
    screen.getByRole("button", { name: "Use a recovery code instead" });
    webauthn.fail = new DOMException("The operation either timed out or was not allowed.", "NotAllowedError");
    await u.click(screen.getByRole("button", { name: "Use a passkey instead" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/^No passkey was used: the prompt was closed or timed out\. Try again, or use another way/);
    webauthn.fail = undefined;
    await u.click(screen.getByRole("button", { name: "Use a passkey" }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    expect(answers).toHaveLength(1);
    expect("passkey" in answers[0]!).toBe(true);
  });
});
