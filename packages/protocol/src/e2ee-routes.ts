/**
 * E2EE routes (issue 3): device directory, KeyPackage directory, MLS commit
 * bundles, GroupInfo and Welcomes. The server stores and routes MLS bytes; it
 * never holds a group secret.
 */
export const e2eeRoutes = {} as const;
