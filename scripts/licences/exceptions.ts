// Reviewed exceptions to the licence policy (docs/licences.md). Each entry lets
// one package through that the policy would stop, for a stated reason. An entry
// names the licence it was reviewed under, so a release that changes its licence
// fails again, and an entry that no longer matches anything fails the check
// until it is removed.

/** One reviewed exception. */
export type LicenceException = {
  /** npm package name */
  package: string;
  /** the versions reviewed, a semver range (prefer one exact version) */
  version: string;
  /** the licence exactly as the package declares it (or as the check reports it) */
  licence: string;
  /** the workspaces it may ship in (e.g. "@parley/server"); all shipped ones when absent */
  workspaces?: readonly string[];
  /** why it is acceptable, who reviewed it and when, and what obligation we meet and how */
  reason: string;
};

/** None today: every production dependency is permissive (`npm run licences -- --list`). */
export const LICENCE_EXCEPTIONS: readonly LicenceException[] = [];
