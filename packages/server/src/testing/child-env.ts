/**
 * The environment a test passes to a child it spawns with a hand-picked `env`
 * (a server, the `parley` binary, a job worker): PATH, plus NODE_V8_COVERAGE when
 * `./run test` measures coverage (scripts/test.sh runs node --test under c8), so
 * the child's code counts too (without it the child would run unmeasured), and
 * NODE_COMPILE_CACHE when set (scripts/env.sh), so the child starts from Node's
 * compile cache.
 */
export function childEnv(): { PATH: string; NODE_V8_COVERAGE?: string; NODE_COMPILE_CACHE?: string } {
  const cov = process.env.NODE_V8_COVERAGE;
  const cache = process.env.NODE_COMPILE_CACHE;
  return { PATH: process.env.PATH ?? "", ...(cov ? { NODE_V8_COVERAGE: cov } : {}), ...(cache ? { NODE_COMPILE_CACHE: cache } : {}) };
}
