/** TOTP codes for tests. */
import { generate } from "otplib";

/**
 * `count` distinct six-digit codes that are not the authenticator's for any time step the server
 * could accept while the test runs: it takes the step before, the current one and the step after
 * (mfa-factors.ts), and the clock may move on a step before the code arrives, so two steps either
 * side of now are left out. A fixed "wrong" code such as 000000 is right one time in a million
 * per step, and a throttle test sending ten of them fails about once in 50,000 runs. `nowMs` is
 * the server's clock when a test has moved it (deps.now).
 */
export async function wrongTotpCodes(secret: string, count = 1, nowMs = Date.now()): Promise<string[]> {
  const epoch = Math.floor(nowMs / 1000);
  const near = new Set(await Promise.all([-60, -30, 0, 30, 60].map((d) => generate({ secret, epoch: epoch + d }))));
  const codes: string[] = [];
  for (let n = 0; codes.length < count; n++) {
    const code = String((123_456 + n * 7_919) % 1_000_000).padStart(6, "0");
    if (!near.has(code)) codes.push(code);
  }
  return codes;
}
