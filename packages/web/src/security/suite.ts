/** How the app names MLS cipher suites. */
import type { E2eeSuite } from "@parley/protocol";

/** Short badge text ("post-quantum (X-Wing)" for the hybrid suite). */
export function suiteBadge(suite: E2eeSuite | null | undefined): string | undefined {
  return suite === "xwing" ? "post-quantum (X-Wing)" : undefined;
}

/** Full description of a suite for the security panel and the admin console. */
export function suiteDescription(suite: E2eeSuite | null | undefined): string {
  if (suite === "xwing") return "Post-quantum hybrid: X-Wing key exchange (ML-KEM-768 + X25519), AES-256-GCM, Ed25519 signatures";
  if (suite === "default") return "Standard: X25519 key exchange, AES-128-GCM, Ed25519 signatures";
  return "No group yet: it is created with the first message";
}
