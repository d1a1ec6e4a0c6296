/**
 * The part of `oidc-provider` (which ships no types) that Parley uses: the OAuth2
 * authorization server of modules/oauth and the test IdP (testing/oidc-idp.ts). See the
 * package's docs/README.md for the full configuration.
 */
declare module "oidc-provider" {
  import type { IncomingMessage, ServerResponse } from "node:http";

  interface Grant {
    jti: string;
    accountId: string;
    clientId: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(ttl?: number): Promise<string>;
  }
  interface GrantConstructor {
    new (a: { clientId: string; accountId: string }): Grant;
    find(id: string): Promise<Grant | undefined>;
  }
  interface OidcClient {
    clientId: string;
    grantTypeAllowed(type: string): boolean;
  }
  /** Koa's context, with oidc-provider's `oidc` part. */
  interface OidcContext {
    path: string;
    status: number;
    body: unknown;
    type: string;
    oidc: {
      provider: Provider;
      client?: OidcClient;
      session?: { accountId?: string; grantIdFor(clientId: string): string | undefined };
      result?: { login?: { accountId: string }; consent?: { grantId?: string } };
    };
  }
  interface Account {
    accountId: string;
    claims(): Promise<Record<string, unknown>>;
  }
  /** A storage adapter instance (one per model name). */
  export interface Adapter {
    upsert(id: string, payload: Record<string, unknown>, expiresIn: number | undefined): Promise<void>;
    find(id: string): Promise<Record<string, unknown> | undefined>;
    findByUserCode(userCode: string): Promise<Record<string, unknown> | undefined>;
    findByUid(uid: string): Promise<Record<string, unknown> | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }
  /** What an interaction (a paused authorization request) holds. */
  export interface InteractionDetails {
    uid: string;
    params: Record<string, string | undefined>;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    session?: { accountId?: string };
    grantId?: string;
  }
  interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: "opaque" | "jwt";
  }
  export interface Configuration {
    adapter?: new (name: string) => Adapter;
    clients?: Array<Record<string, unknown>>;
    clientDefaults?: Record<string, unknown>;
    jwks?: { keys: unknown[] };
    cookies?: { keys: Array<string | Buffer>; long?: Record<string, unknown>; short?: Record<string, unknown> };
    claims?: Record<string, string[]>;
    scopes?: string[];
    responseTypes?: string[];
    routes?: Record<string, string>;
    features?: {
      devInteractions?: { enabled: boolean };
      backchannelLogout?: { enabled: boolean };
      revocation?: { enabled: boolean };
      introspection?: { enabled: boolean };
      userinfo?: { enabled: boolean };
      rpInitiatedLogout?: { enabled: boolean; logoutSource?: (ctx: OidcContext, form: string) => void; postLogoutSuccessSource?: (ctx: OidcContext) => void };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: OidcContext, client: OidcClient, oneOf?: string[]) => Promise<string | undefined> | string | undefined;
        useGrantedResource?: (ctx: OidcContext, model: unknown) => Promise<boolean> | boolean;
        getResourceServerInfo?: (ctx: OidcContext, resourceIndicator: string, client: OidcClient) => Promise<ResourceServerInfo> | ResourceServerInfo;
      };
    };
    pkce?: { required: () => boolean };
    ttl?: Record<string, number | ((ctx: OidcContext, token: unknown, client: OidcClient) => number)>;
    interactions?: { url: (ctx: OidcContext, interaction: { uid: string }) => string; policy?: unknown };
    issueRefreshToken?: (ctx: OidcContext, client: OidcClient, code: unknown) => Promise<boolean> | boolean;
    expiresWithSession?: (ctx: OidcContext, code: unknown) => Promise<boolean> | boolean;
    loadExistingGrant?: (ctx: OidcContext) => Promise<Grant | undefined>;
    findAccount?: (ctx: OidcContext, sub: string) => Promise<Account | undefined>;
    fetch?: (url: string | URL, options: RequestInit) => Promise<Response>;
    renderError?: (ctx: OidcContext, out: Record<string, unknown>, err: Error) => void | Promise<void>;
  }
  type CheckResult = boolean;
  export const interactionPolicy: {
    Check: {
      new (reason: string, description: string, check: (ctx: OidcContext) => CheckResult | Promise<CheckResult>): unknown;
      REQUEST_PROMPT: CheckResult;
      NO_NEED_TO_PROMPT: CheckResult;
    };
    base(): Array<{ name: string; checks: { add(check: unknown, index?: number): void } }> & {
      get(name: string): { name: string; checks: { add(check: unknown, index?: number): void } };
    };
  };
  export const errors: {
    InvalidGrant: new (detail?: string) => Error;
    InvalidTarget: new (detail?: string) => Error;
  };
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration);
    proxy: boolean;
    Grant: GrantConstructor;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: (ctx: OidcContext, next: () => Promise<void>) => Promise<void>): void;
    on(event: "backchannel.success", fn: (ctx: OidcContext, client: { clientId: string }) => void): void;
    on(event: "backchannel.error", fn: (ctx: OidcContext, err: unknown, client: { clientId: string }) => void): void;
    on(event: "server_error", fn: (ctx: OidcContext, err: Error) => void): void;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionResult(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<string>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: Record<string, unknown>,
      opts?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
  }
}
