// The escalation policy against a synthetic environment with a known optimum: a cheap arm whose
// answer is good exactly when the verifier says so, and a strong arm that is always right at ten
// times the price. The best cascade in hindsight starts cheap and escalates iff the verifier
// score is low; the learned policy (Route -> Escalate -> Feedback through the engine and a real
// RocksDB log) must reach 90% of its value, cold.

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/engine.h"
#include "core/random.h"
#include "gtest/gtest.h"
#include "storage/rocks_store.h"
#include "tests/testing/fake_clock.h"
#include "tests/testing/temp_dir.h"

namespace router {
namespace {

constexpr double kCostWeight = 0.5;
constexpr double kCheapCost = 0.1;
constexpr double kStrongCost = 1.0;

struct Query {
  bool cheap_good = false;
  double cheap_verifier = 0;  // in [0.6, 1] when good, [0, 0.4] when not
  double strong_verifier = 0;
};

std::vector<Query> Draw(int n, uint64_t seed) {
  Rng rng(seed);
  std::vector<Query> out(n);
  for (Query& q : out) {
    q.cheap_good = rng.Uniform() < 0.6;
    q.cheap_verifier = q.cheap_good ? 0.6 + 0.4 * rng.Uniform() : 0.4 * rng.Uniform();
    q.strong_verifier = 0.6 + 0.4 * rng.Uniform();
  }
  return out;
}

double Quality(const Query& q, const std::string& arm) {
  return arm == "strong" || q.cheap_good ? 1.0 : 0.0;
}

// Mean utility of the best fixed policy in hindsight: route-only to either arm, or cheap first
// and escalate to strong below a threshold (every threshold on a fine grid).
double HindsightBest(const std::vector<Query>& qs) {
  double best = -1e9;
  for (const std::string& arm : {"cheap", "strong"}) {
    double v = 0;
    for (const Query& q : qs) {
      v += Quality(q, arm) - kCostWeight * (arm == "cheap" ? kCheapCost : kStrongCost);
    }
    best = std::max(best, v / qs.size());
  }
  for (int t = 0; t <= 100; ++t) {
    const double threshold = t / 100.0;
    double v = 0;
    for (const Query& q : qs) {
      v += q.cheap_verifier < threshold ? 1.0 - kCostWeight * (kCheapCost + kStrongCost)
                                        : Quality(q, "cheap") - kCostWeight * kCheapCost;
    }
    best = std::max(best, v / qs.size());
  }
  return best;
}

RouterSpec Spec() {
  RouterSpec spec;
  spec.name = "synthetic";
  spec.features.dim = 16;
  spec.weights.cost = kCostWeight;
  spec.scales.cost_usd = 1.0;
  spec.cascade.max_attempts = 2;
  // Prices that make the prior costs (500 input + 300 output tokens) the true ones.
  const std::pair<const char*, double> arms[] = {{"cheap", kCheapCost}, {"strong", kStrongCost}};
  for (const auto& [id, cost] : arms) {
    ArmSpec arm;
    arm.id = id;
    arm.input_price_per_mtok = arm.output_price_per_mtok = cost * 1e6 / 800;
    spec.arms.push_back(arm);
  }
  return spec;
}

TEST(CascadeLearningTest, ReachesNinetyPercentOfTheHindsightBestCascade) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto store = storage::RocksStore::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  auto engine = Engine::Create({Spec()}, store->get(), &clock);
  ASSERT_TRUE(engine.ok()) << engine.status();

  const std::vector<Query> queries = Draw(3000, 7);
  double total = 0, second_half = 0;
  int escalated = 0, cheap_first = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    const Query& q = queries[i];
    RouteQuery rq;
    rq.router = "synthetic";
    rq.text = absl::StrCat("task ", i % 40, " item ", i);
    auto routed = (*engine)->Route(rq);
    ASSERT_TRUE(routed.ok()) << routed.status();
    std::string arm = routed->decision.arm;
    cheap_first += arm == "cheap";
    double cost = 0;
    std::string accepted;
    while (accepted.empty()) {
      const double arm_cost = arm == "cheap" ? kCheapCost : kStrongCost;
      cost += arm_cost;
      EscalateRequest report;
      report.decision_id = routed->decision.decision_id;
      report.attempt.arm = arm;
      report.attempt.verifier_score = arm == "cheap" ? q.cheap_verifier : q.strong_verifier;
      report.attempt.cost_usd = arm_cost;
      auto answer = (*engine)->Escalate(report);
      ASSERT_TRUE(answer.ok()) << answer.status();
      if (answer->attempt.next_arm.empty()) {
        accepted = arm;
      } else {
        arm = answer->attempt.next_arm;
        ++escalated;
      }
    }
    FeedbackEvent e;
    e.decision_id = routed->decision.decision_id;
    e.feedback_id = routed->decision.decision_id;
    e.signals.judge_score = Quality(q, accepted);
    ASSERT_TRUE((*engine)->Feedback(e).ok());
    const double value = Quality(q, accepted) - kCostWeight * cost;
    total += value;
    if (i >= queries.size() / 2) second_half += value;
  }
  const double learned = total / queries.size();
  const double learned_late = second_half / (queries.size() - queries.size() / 2);
  const double best = HindsightBest(queries);
  // The environment is as described: the best cascade beats either arm alone by a wide margin.
  ASSERT_GT(best, 0.7);
  RecordProperty("learned_value", absl::StrCat(learned));
  RecordProperty("hindsight_best", absl::StrCat(best));
  std::cout << "learned " << learned << " (second half " << learned_late << "), hindsight best "
            << best << ", cheap first " << cheap_first << ", escalations " << escalated << "\n";
  EXPECT_GE(learned, 0.9 * best);
}

}  // namespace
}  // namespace router
