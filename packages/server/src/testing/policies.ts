/** Org policy fixtures for tests of what a policy hides (inbox lists, pushes). */
import assert from "node:assert/strict";
import type { TestUser } from "./factories.ts";

/**
 * Label the channel "sealed" and enable a policy forbidding members to read sealed channels;
 * checks that `member` is now refused the channel's history. Returns the policy's id.
 */
export async function sealFromMembers(owner: TestUser, member: TestUser, channelId: string): Promise<string> {
  assert.equal((await owner.api("PUT", `/channels/${channelId}/labels`, { labels: ["sealed"] })).status, 200);
  const policy = await owner.api("POST", "/org/policies", {
    name: "sealed: no members",
    text: `forbid (principal, action == Action::"channel.read", resource) when { principal.role == "member" && resource.labels.contains("sealed") };`,
  });
  assert.equal(policy.status, 201, JSON.stringify(policy.body));
  assert.equal((await member.api("GET", `/channels/${channelId}/events?after=0`)).status, 403, "the policy forbids reading the channel");
  return policy.body.id as string;
}
