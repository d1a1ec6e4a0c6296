/** Default limits; the server's config may lower or raise them. */
export const DEFAULT_LIMITS = {
  /** Largest accepted HTTP body, bytes. */
  bodyBytes: 1_048_576,
  /** Largest event content (the opaque, base64-decoded bytes). */
  messageBytes: 65_536,
  /** Largest WebSocket frame, bytes: a `send` frame carries the content and its archive copy, both up to messageBytes, as base64. */
  frameBytes: 262_144,
  /** Page size cap for event listings and sync pages. */
  pageSize: 200,
  /**
   * Most event content bytes (archive copies included) in one replay (`sync`) page; a page always holds at
   * least one event. Keeps each frame, and what the server holds per replaying
   * connection, small whatever the events' sizes.
   */
  syncPageBytes: 262_144,
  /** Most explicit mentions in one event. */
  mentions: 64,
  /** Most members named when creating a group DM (besides the creator). */
  groupDmMembers: 15,
  /** Most attachments on one event. */
  filesPerEvent: 10,
  /** Most users one connection watches the presence of (`presence.watch`). */
  presenceWatch: 500,
} as const;

/** WebSocket close codes used by the gateway. */
export const CLOSE_CODES = {
  /** Normal closure. */
  normal: 1000,
  /** The client sent a frame the gateway cannot parse or validate. */
  badFrame: 4400,
  /** No valid `hello` frame, or the access token is invalid/expired/revoked. */
  unauthorized: 4401,
  /** The session, device or user was revoked or deactivated. */
  revoked: 4403,
  /** The client did not send `hello` in time. */
  helloTimeout: 4408,
  /** The client sent frames faster than its allowance. */
  rateLimited: 4429,
  /** The client does not read fast enough; its send buffer overflowed. */
  slowConsumer: 4430,
  /** The device or user already holds as many connections as the node allows. */
  tooManyConnections: 4409,
  /** The server is restarting: reconnect (possibly to another node). */
  serviceRestart: 1012,
} as const;
