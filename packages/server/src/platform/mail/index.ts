/**
 * Outgoing email (nodemailer over SMTP). One seam: a mailer built from the config
 * (PARLEY_SMTP_URL, PARLEY_SMTP_REQUIRE_TLS, PARLEY_SMTP_CA_FILE, PARLEY_MAIL_FROM), or
 * none when no SMTP server is configured. Messages are queued as durable jobs by the
 * commands that cause them (modules/accounts/mail.ts) and sent by the job runner, so a
 * slow or unreachable SMTP server never holds a request and a crash loses no email.
 * Email never carries message content.
 */
import fs from "node:fs";
import nodemailer from "nodemailer";
import type { Config } from "../../config/schema.ts";
import type { PublicUrl } from "../public-url.ts";

/** One email. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra header fields (e.g. List-Unsubscribe), ASCII values. */
  headers?: Record<string, string>;
}

export interface Mailer {
  /** Whether an SMTP server is configured; when not, send() throws and commands that need email answer email_unavailable. */
  readonly configured: boolean;
  /** Send one message; throws on an SMTP failure (the job retries). */
  send(msg: MailMessage): Promise<void>;
  close(): void;
}

/** Build the mailer of a config. */
export function createMailer(config: Pick<Config, "smtpUrl" | "smtpRequireTls" | "smtpCaFile" | "mailFrom">, publicUrl: PublicUrl): Mailer {
  const transport = config.smtpUrl
    ? nodemailer.createTransport({
        ...smtpEndpoint(config.smtpUrl),
        requireTLS: config.smtpRequireTls && !config.smtpUrl.startsWith("smtps:"),
        // Without requireTLS, still upgrade when the server offers STARTTLS.
        ...(config.smtpCaFile ? { tls: { ca: fs.readFileSync(config.smtpCaFile, "utf8") } } : {}),
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      })
    : undefined;
  const from = () => config.mailFrom ?? `Parley <parley@${new URL(publicUrl.get()).hostname}>`;
  return {
    configured: transport !== undefined,
    async send(msg) {
      if (!transport) throw new Error("no SMTP server is configured (PARLEY_SMTP_URL)");
      await transport.sendMail({
        from: from(),
        to: msg.to,
        subject: msg.subject,
        text: msg.text,
        html: msg.html,
        ...(msg.headers ? { headers: msg.headers } : {}),
      });
    },
    close() {
      transport?.close();
    },
  };
}

/** Host, port, TLS mode and credentials of an smtp:// or smtps:// URL. */
function smtpEndpoint(raw: string): { host: string; port: number; secure: boolean; auth?: { user: string; pass: string } } {
  const u = new URL(raw);
  const secure = u.protocol === "smtps:";
  const user = decodeURIComponent(u.username);
  return {
    host: u.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(user ? { auth: { user, pass: decodeURIComponent(u.password) } } : {}),
  };
}
