import { test } from "node:test";
import assert from "node:assert/strict";
import { ipRangeProblem, parseAllowList } from "./ip-allow-list.ts";

test("addresses and CIDR blocks of both families pass", () => {
  for (const ok of ["203.0.113.7", "10.0.0.0/8", "0.0.0.0/0", "127.0.0.1/32", "2001:db8::/32", "::1", "::/0", "fe80::1:2:3:4", "::ffff:192.0.2.1"])
    assert.equal(ipRangeProblem(ok), undefined, ok);
});

test("typos are named", () => {
  for (const bad of [
    "10.0.0",
    "256.1.1.1",
    "10.0.0.01",
    "10.0.0.0/33",
    "2001:db8::/129",
    "10.0.0.0/8/9",
    "example.org",
    "1.2.3.4/",
    "2001:::1",
    "fe80::1%eth0",
  ])
    assert.match(ipRangeProblem(bad) ?? "", /"/, bad);
});

test("lines, commas and spaces separate entries; blanks and repeats drop", () => {
  assert.deepEqual(parseAllowList(" 10.0.0.0/8\n\n192.168.1.1, 10.0.0.0/8  ::1 \n"), { ranges: ["10.0.0.0/8", "192.168.1.1", "::1"], problems: [] });
  const r = parseAllowList("10.0.0.0/8\nvpn.example.org");
  assert.deepEqual(r.ranges, ["10.0.0.0/8", "vpn.example.org"]);
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0]!, /vpn\.example\.org/);
});
