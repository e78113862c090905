// The console's check that the join link is loopback (facilitator/static/loopback.js, issue 14 item 11):
// phones can't open such a link, so the console warns. server/reach.py has the same rule (tests/test_reach.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import { isLoopbackHost, isLoopbackUrl } from "../../facilitator/static/loopback.js";

test("loopback links are recognised in every spelling", () => {
  for (const url of ["http://127.0.0.1:8000/j/ABC", "http://127.1.2.3/j/X", "http://127.1/j/X", "http://2130706433/",
    "http://localhost:8000/j/X", "http://LOCALHOST./", "http://app.localhost/", "http://[::1]:8000/",
    "http://[0:0:0:0:0:0:0:1]/", "http://[::ffff:127.0.0.1]/", "https://127.0.0.1/"]) {
    assert.equal(isLoopbackUrl(url), true, url);
  }
  for (const host of ["127.0.0.1", "::1", "[::1]", "localhost", "127.255.255.254", "::ffff:127.0.0.2"]) {
    assert.equal(isLoopbackHost(host), true, host);
  }
});

test("addresses phones can reach are not loopback", () => {
  for (const url of ["http://192.168.1.20:8000/j/ABC", "https://thrive.example.org/j/X", "http://10.0.0.5/",
    "http://128.0.0.1/", "http://[fd00::2]/", "http://[::ffff:10.0.0.1]/", "http://localhost.example.org/",
    "http://my-localhost/", "not a url", "", null]) {
    assert.equal(isLoopbackUrl(url), false, String(url));
  }
  for (const host of ["", "0.0.0.0", "192.168.0.2", "::2", "example.org"]) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});
