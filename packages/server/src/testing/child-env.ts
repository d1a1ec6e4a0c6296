/**
 * The environment a test passes to a child it spawns with a hand-picked `env`
 * (a server, the `parley` binary, a job worker): PATH, plus NODE_V8_COVERAGE when
 * `./run test` measures coverage (scripts/test.sh runs node --test under c8), so
 * the child's code counts too. Without it the child would run unmeasured.
 */
export function childEnv(): { PATH: string; NODE_V8_COVERAGE?: string } {
  const cov = process.env.NODE_V8_COVERAGE;
  return { PATH: process.env.PATH ?? "", ...(cov ? { NODE_V8_COVERAGE: cov } : {}) };
}
