/**
 * A real SMTP server on 127.0.0.1 for tests (the `smtp-server` package), which keeps
 * every message it receives, parsed (`mailparser`). Tests point the Parley server at
 * it (`smtpUrl`) and read what Parley sent: recipients, subject, text, links.
 * Optional: require AUTH, and STARTTLS with a fresh self-signed certificate for
 * 127.0.0.1 (its PEM is returned so the test can trust it through `smtpCaFile`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { simpleParser } from "mailparser";
import { selfSignedCertificate } from "./certs.ts";
import { freePort, isAddressInUse } from "./ports.ts";

/** One received message. */
export interface ReceivedMail {
  /** Envelope recipients (RCPT TO), lowercased. */
  to: string[];
  /** Envelope sender (MAIL FROM). */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The From header as written. */
  fromHeader: string;
  /** Whether the session was encrypted (STARTTLS). */
  secure: boolean;
  /** The AUTH user, if the client authenticated. */
  user: string | undefined;
  /** The raw message source. */
  raw: string;
}

export interface TestSmtp {
  /** `smtp://[user:pass@]127.0.0.1:PORT` for the Parley server's `smtpUrl`. */
  url: string;
  port: number;
  /** Every message received so far, oldest first. */
  messages: ReceivedMail[];
  /** With `tls`: a file holding the server certificate (PEM), for `smtpCaFile`. */
  caFile: string | undefined;
  /** Resolves with the first message (already received or arriving within `timeoutMs`) that matches. */
  waitFor(match: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  /** Messages sent to `address`. */
  to(address: string): ReceivedMail[];
  stop(): Promise<void>;
}

export interface TestSmtpOptions {
  /** Require AUTH PLAIN/LOGIN with this user and password. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS with a self-signed certificate for 127.0.0.1 (otherwise STARTTLS is not offered). */
  tls?: boolean;
}

/** Start a test SMTP server on 127.0.0.1 (a free port below 32768). */
export async function startTestSmtp(opts: TestSmtpOptions = {}): Promise<TestSmtp> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parley-smtp-"));
  const tls = opts.tls ? selfSignedCertificate(dir) : undefined;
  const server = new SMTPServer({
    secure: false,
    ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ["STARTTLS"] }),
    authOptional: !opts.auth,
    // Without TLS the client may still authenticate in clear (only ever on 127.0.0.1 in tests).
    allowInsecureAuth: !tls,
    logger: false,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return cb(null, { user: auth.username });
      cb(new Error("invalid username or password"));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("error", (err) => cb(err));
      stream.on("end", () => void parse(Buffer.concat(chunks), session, cb));
    },
  });
  const parse = (raw: Buffer, session: SMTPServerSession, cb: (err?: Error | null) => void) =>
    simpleParser(raw)
      .then((parsed) => {
        messages.push({
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          subject: parsed.subject ?? "",
          text: parsed.text ?? "",
          html: typeof parsed.html === "string" ? parsed.html : "",
          fromHeader: parsed.from?.text ?? "",
          secure: session.secure,
          user: typeof session.user === "string" ? session.user : undefined,
          raw: raw.toString("utf8"),
        });
        for (const w of waiters) w();
        cb();
      })
      .catch((err: Error) => cb(err));
  let port = 0;
  for (let attempt = 0; port === 0; attempt++) {
    const candidate = await freePort();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(candidate, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      port = candidate;
    } catch (err) {
      if (!isAddressInUse(err) || attempt >= 5) throw err;
    }
  }
  const auth = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : "";
  const find = (match: (m: ReceivedMail) => boolean) => messages.find(match);
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    messages,
    caFile: tls?.certFile,
    to: (address) => messages.filter((m) => m.to.includes(address.toLowerCase())),
    waitFor(match, timeoutMs = 10_000) {
      const found = find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = find(match);
          if (!m) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(m);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no matching email within ${timeoutMs} ms (${messages.length} received: ${messages.map((m) => `${m.to.join(",")} "${m.subject}"`).join("; ")})`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first URL in an email's text that starts with `prefix`. */
export function linkIn(mail: ReceivedMail, prefix: string): string {
  const m = mail.text.split(/\s+/).find((w) => w.startsWith(prefix));
  if (!m) throw new Error(`no link starting with ${prefix} in "${mail.subject}":\n${mail.text}`);
  return m;
}
