/**
 * Wire API version ("feature level"). Bumped on every change to a route, a
 * frame or an error code; CHANGELOG.md says what each level added.
 */
export const API_VERSION = 14;

/** Prefix of every REST route. */
export const API_PREFIX = "/api/v1";

/** Path of the WebSocket gateway. */
export const WS_PATH = "/api/v1/ws";
