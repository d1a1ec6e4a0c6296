/**
 * MLS group routes (issue 3): commit bundles, GroupInfo for external joins,
 * Welcomes. The server accepts the first valid commit per epoch.
 */
export const mlsRoutes = {} as const;
