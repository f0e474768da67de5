#ifndef BANDIT_ROUTER_TESTS_TESTING_TRAFFIC_H_
#define BANDIT_ROUTER_TESTS_TESTING_TRAFFIC_H_

#include <map>
#include <string>

#include "tests/testing/test_server.h"

namespace router::testing {

// What a known stream of traffic should show in metrics, computed by the test on its own from
// the responses it got and the feedback it sent.
struct TrafficTotals {
  std::map<std::string, int> decisions_per_arm;
  int decisions = 0;
  int applied = 0;
  int duplicates = 0;
  int rejected = 0;
  double cost_usd = 0;
  double energy_j = 0;
  double estimated_regret = 0;  // max_a Σ 1[a]·r/p − Σ r over judged decisions
  double exact_regret = 0;      // Σ (best − chosen) over feedback with arm_qualities
  int exact_events = 0;
};

// Routes `n` queries on `router` (arms a, b, c of ToyRouter), sends a judge score, cost, energy
// and latency for each, every third one with every arm's outcome, every fifth one twice
// (a duplicate), plus one feedback for an unknown decision and one Route to an unknown router.
TrafficTotals DriveKnownTraffic(TestServer& server, const std::string& router, int n);

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_TRAFFIC_H_
