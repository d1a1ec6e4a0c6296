import { afterEach, describe, expect, test, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { ParleyError, type SecondFactor } from "@parley/sdk";
import type { MfaChallenge } from "@parley/protocol";
import { ChatStore } from "../client/chat-store.ts";
import { EnrolmentSession } from "../client/session.ts";
import { PeerWorker, user } from "../testing/chat-fixture.tsx";
import { serializeError } from "../worker/errors.ts";
import type { ClientSnapshot, Command } from "../worker/protocol.ts";
import { SignInScreen } from "../components/auth/sign-in-screen.tsx";

const ME = user("u-me", "me", "Me Myself");
const ORG = { id: "org-1", slug: "acme", name: "Acme", createdAt: 1_700_000_000_000 };
const CHALLENGE: MfaChallenge = { mfaToken: "mfa-token-0123456789abcdef", methods: ["totp", "recovery_code"], expiresAt: Date.now() + 300_000 };
const SNAPSHOT: ClientSnapshot = {
  me: ME,
  org: ORG,
  codec: { name: "mls", encrypted: true },
  session: { baseUrl: location.origin, userId: ME.id, username: ME.username, orgId: ORG.id, orgSlug: ORG.slug, deviceId: "dev-me", sessionId: "sess-1" },
  e2eeConfig: undefined,
};
const wrong = () => new ParleyError({ code: "mfa_invalid", status: 401, message: "that code is wrong or was already used; wait for the next code" });

/**
 * The client worker of a sign-in, at the Worker boundary: `start` asks for the second factor (a
 * push, as the real worker does when the SDK calls secondFactor) and `verify` decides each answer:
 * another question (with the error), the end of the sign-in (a snapshot or an error).
 */
function signInWorkers(verify: (answer: SecondFactor, n: number) => "again" | ClientSnapshot | Error) {
  const workers: PeerWorker[] = [];
  const answers: SecondFactor[] = [];
  class SignInWorker extends PeerWorker {
    constructor() {
      super();
      workers.push(this);
      let finish: (v: unknown) => void = () => undefined;
      this.answers.set("api:listUsers", { users: [ME] });
      this.answers.set("call:channels", []);
      this.answers.set("start", () => {
        queueMicrotask(() => this.push({ t: "secondFactor", challenge: CHALLENGE, previousError: undefined }));
        return new Promise((resolve) => (finish = resolve));
      });
      this.answers.set("secondFactor", (c: Command) => {
        const answer = (c as Extract<Command, { op: "secondFactor" }>).answer;
        answers.push(answer);
        const next = verify(answer, answers.length);
        if (next === "again") queueMicrotask(() => this.push({ t: "secondFactor", challenge: CHALLENGE, previousError: serializeError(wrong()) }));
        else finish(next);
        return undefined;
      });
    }
  }
  vi.stubGlobal("Worker", SignInWorker);
  return { workers, answers };
}

async function signInWithPassword() {
  const onSignedIn = vi.fn();
  const u = userEvent.setup();
  render(<SignInScreen notice={undefined} org="acme" username="me" onSignedIn={onSignedIn} />);
  await u.type(screen.getByLabelText("Password"), "my password");
  await u.click(screen.getByRole("button", { name: "Sign in" }));
  await screen.findByRole("heading", { name: "Two-factor authentication" });
  return { u, onSignedIn };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("Sign-in, second step", () => {
  test("asks for the app's code after the password; a wrong code says to wait for the next; a recovery code instead signs in", async () => {
    const { workers, answers } = signInWorkers((_a, n) => (n === 1 ? "again" : SNAPSHOT));
    const { u, onSignedIn } = await signInWithPassword();
    const field = screen.getByLabelText("6-digit code");
    expect(field.getAttribute("autocomplete")).toBe("one-time-code");
    expect(field.getAttribute("inputmode")).toBe("numeric");
    // Typed (or pasted) with a space: only the digits count.
    await u.type(field, "123 456");
    expect((field as HTMLInputElement).value).toBe("123456");
    await u.click(screen.getByRole("button", { name: "Verify" }));
    expect((await screen.findByRole("alert")).textContent).toBe("That code is wrong or was already used; wait for the next code.");
    expect((screen.getByLabelText("6-digit code") as HTMLInputElement).value).toBe("");

    await u.click(screen.getByRole("button", { name: "Use a recovery code instead" }));
    await u.type(screen.getByLabelText("Recovery code"), "abcde-2345");
    await u.click(screen.getByRole("button", { name: "Verify" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/A recovery code has 10 letters and digits/);
    await u.type(screen.getByLabelText("Recovery code"), "6");
    await u.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    expect(onSignedIn.mock.calls[0]![0]).toBeInstanceOf(ChatStore);
    expect(answers).toEqual([{ code: "123456" }, { recoveryCode: "abcde-23456" }]);
    // One worker signed in with the password once: the org and username as typed, lowercased.
    expect(workers).toHaveLength(1);
    const start = workers[0]!.commands.find((c) => c.op === "start") as Extract<Command, { op: "start" }>;
    expect(start.start).toMatchObject({ mode: "login", input: { org: "acme", username: "me", password: "my password" } });
  });

  test("an expired challenge (or too many wrong codes) goes back to the password step and says so", async () => {
    signInWorkers(() => new ParleyError({ code: "mfa_challenge_invalid", status: 401, message: "expired" }));
    const { u, onSignedIn } = await signInWithPassword();
    await u.type(screen.getByLabelText("6-digit code"), "654321");
    await u.click(screen.getByRole("button", { name: "Verify" }));
    await screen.findByRole("heading", { name: "Sign in" });
    expect(screen.getByRole("alert").textContent).toBe("This sign-in expired or had too many wrong codes. Enter your password again.");
    expect((screen.getByLabelText("Password") as HTMLInputElement).value).toBe("");
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  test("throttled: the step stays and names the wait; the next code signs in again with the same password", async () => {
    const { workers, answers } = signInWorkers((_a, n) =>
      n === 1 ? new ParleyError({ code: "login_throttled", status: 429, message: "too many", retryAfter: 600 }) : SNAPSHOT,
    );
    const { u, onSignedIn } = await signInWithPassword();
    await u.type(screen.getByLabelText("6-digit code"), "111111");
    await u.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("Too many wrong codes. Wait 10 minutes and try again."));
    screen.getByRole("heading", { name: "Two-factor authentication" });
    await u.type(screen.getByLabelText("6-digit code"), "222222");
    await u.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    // A second worker signed in again and its question took the code already typed.
    expect(workers).toHaveLength(2);
    expect(answers).toEqual([{ code: "111111" }, { code: "222222" }]);
  });

  test("'Back to sign in' abandons the sign-in", async () => {
    const { workers } = signInWorkers(() => SNAPSHOT);
    const { u, onSignedIn } = await signInWithPassword();
    const terminate = vi.spyOn(workers[0]!, "terminate");
    await u.click(screen.getByRole("button", { name: "Back to sign in" }));
    await screen.findByRole("heading", { name: "Sign in" });
    expect(terminate).toHaveBeenCalled();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  test("a session the org restricts to enrolling ends the sign-in in an EnrolmentSession", async () => {
    class RestrictedWorker extends PeerWorker {
      constructor() {
        super();
        this.answers.set("start", { enrolmentRequired: true, me: ME, org: ORG });
        this.answers.set("api:getMfa", { totp: { enabled: false, enabledAt: null }, recoveryCodesLeft: 0, required: true, enrollBy: 1 });
      }
    }
    vi.stubGlobal("Worker", RestrictedWorker);
    const onSignedIn = vi.fn();
    const u = userEvent.setup();
    render(<SignInScreen notice={undefined} org="acme" username="me" onSignedIn={onSignedIn} />);
    await u.type(screen.getByLabelText("Password"), "my password");
    await u.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(onSignedIn).toHaveBeenCalledTimes(1));
    const session = onSignedIn.mock.calls[0]![0] as EnrolmentSession;
    expect(session).toBeInstanceOf(EnrolmentSession);
    expect(session.me.username).toBe("me");
    // Its calls go to the worker's restricted session.
    expect(await session.api.call("getMfa")).toMatchObject({ required: true });
  });
});
