/**
 * The part of `oidc-provider` (a test-only dependency that ships no types) the test IdP
 * (oidc-idp.ts) uses. See the package's docs/README.md for the full configuration.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  interface Grant {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  }
  interface GrantConstructor {
    new (a: { clientId: string; accountId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }
  /** Koa's context, with oidc-provider's `oidc` part. */
  interface OidcContext {
    path: string;
    status: number;
    body: unknown;
    type: string;
    oidc: {
      provider: Provider;
      client?: { clientId: string };
      session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      result?: { consent?: { grantId?: string } };
    };
  }
  interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }
  export interface Configuration {
    clients?: Array<Record<string, unknown>>;
    jwks?: { keys: unknown[] };
    cookies?: { keys: string[] };
    claims?: Record<string, string[]>;
    scopes?: string[];
    features?: {
      devInteractions?: { enabled: boolean };
      backchannelLogout?: { enabled: boolean };
      rpInitiatedLogout?: { enabled: boolean; logoutSource?: (ctx: OidcContext, form: string) => void; postLogoutSuccessSource?: (ctx: OidcContext) => void };
    };
    pkce?: { required: () => boolean };
    ttl?: Record<string, number>;
    interactions?: { url: (ctx: OidcContext, interaction: { uid: string }) => string };
    loadExistingGrant?: (ctx: OidcContext) => Promise<Grant | undefined>;
    findAccount?: (ctx: OidcContext, sub: string) => Promise<Account | undefined>;
    fetch?: (url: string | URL, options: RequestInit) => Promise<Response>;
    renderError?: (ctx: OidcContext, out: Record<string, unknown>, err: Error) => void | Promise<void>;
  }
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    Grant: GrantConstructor;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: OidcContext, next: () => Promise<void>) => Promise<void>): void;
    on(event: "backchannel.success", fn: (ctx: OidcContext, client: { clientId: string }) => void): void;
    on(event: "backchannel.error", fn: (ctx: OidcContext, err: unknown, client: { clientId: string }) => void): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<{ uid: string }>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }
}
