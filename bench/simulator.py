"""Benchmark: the org simulator on a generated 2,000-user roster (issue 15's scenario), in one run.

    python bench/simulator.py [--users N] [--seed S]

Generates a roster (mixed domains, human and service accounts, passwords, PATs, IdP entries,
members, removed users, other emails, uses) and an org with SSO enforced, then:

- counts contradictions over every user, each of which the issue found in the simulator before
  it (all must be 0): a loss the settings do not cause (the use does not work with SSO off
  either), a sentence or finding promising a password the user does not have, a finding saying a
  use "stops working" with nothing lost, a blocker with nothing lost, a lost use with no reason
  citing the FAQ;
- times ``simulate_roster`` (the baseline) and the what-if ``diff`` (current: SSO enabled ->
  proposed: enforced) on the same roster, median of ``--repeat`` runs, and prints users/s and the
  ratio diff / roster (about 2: the what-if simulates the roster twice).
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time

from assistant.simulator import Org, Simulator, User

_PASSWORD_PROMISE = re.compile(r"username and password as usual|with (their )?(username and )?password|"
                               r"existing password|password (still )?works", re.I)


def roster(n: int, seed: int) -> list[User]:
    rng = random.Random(seed)
    domains = ["example.com", "example.com", "example.org", "gmail.com", "partner.net"]
    users = []
    for i in range(n):
        removed = rng.random() < 0.03
        users.append(User(
            f"user{i}@{rng.choice(domains)}", account="service" if rng.random() < 0.15 else "human",
            has_password=rng.random() < 0.85, has_pat=rng.random() < 0.35, in_idp=rng.random() < 0.92,
            member=False if removed else rng.random() < 0.6, removed=removed,
            other_emails=[f"user{i}@gmail.com"] if rng.random() < 0.05 else [],
            uses=rng.sample(["web", "desktop", "cli", "api", "ci"], rng.randint(1, 4))))
    return users


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=15)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    users = roster(args.users, args.seed)
    sim = Simulator()
    org = Org("business", ("example.com", "example.org"), "enforced", signin_enforced=False)
    baseline = Org("business", ("example.com", "example.org"), "off")
    result = sim.simulate_roster(org, users)
    counts = dict.fromkeys(["loss not caused by the settings", "password promised without one",
                            "'stops working' with nothing lost", "blocker with nothing lost",
                            "lost use without a reason citing the FAQ"], 0)
    for _, o in result.outcomes:
        before = sim.simulate(baseline, o.user)
        counts["loss not caused by the settings"] += bool(set(o.blocked_uses) & set(before.unavailable_uses))
        texts = o.sentences() + [f.message for f in o.findings]
        counts["password promised without one"] += (not o.user.has_password
                                                     and any(_PASSWORD_PROMISE.search(t) for t in texts))
        counts["'stops working' with nothing lost"] += (not o.blocked_uses and any(
            re.search(r"\bstops? working", f.message) for f in o.findings))
        counts["blocker with nothing lost"] += (not o.blocked_uses and any(
            f.severity == "blocker" for f in o.user_findings))
        counts["lost use without a reason citing the FAQ"] += any(
            not o.loss_reasons.get(u) or not all(sim.citations_[r] for r in o.loss_reasons[u]) for u in o.blocked_uses)
    s = result.summary
    print(f"roster: {args.users} users (seed {args.seed}); SSO enforced for {s['enforced_for']}, "
          f"{len(s['losing_access'])} lose access, {len(s['unavailable_anyway'])} have uses that work neither with nor without SSO "
          f"(not losses); ready: {s['ready']}")
    print("contradictions (each must be 0):")
    for name, n in counts.items():
        print(f"  {name:42} {n}")

    def timed(fn) -> float:
        runs = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - t)
        return statistics.median(runs)

    t_roster = timed(lambda: sim.simulate_roster(org, users))
    current = Org("business", ("example.com", "example.org"), "enabled")
    t_diff = timed(lambda: sim.diff(current, org, users))
    diff = sim.diff(current, org, users)
    print(f"what-if enabled -> enforced: {diff.summary['losing_access']} users lose access; advice:")
    for line in diff.summary["advice"]:
        print(f"  - {line}")
    print(f"{'run':22} {'seconds':>8} {'users/s':>9} {'ratio':>6}")
    print(f"{'simulate_roster (base)':22} {t_roster:8.2f} {args.users / t_roster:9.0f} {1.0:6.2f}")
    print(f"{'diff (what-if)':22} {t_diff:8.2f} {args.users / t_diff:9.0f} {t_diff / t_roster:6.2f}")


if __name__ == "__main__":
    main()
