// Off-policy evaluation throughput: writes a log of N decisions with feedback (d = 64, 9 arms,
// ε-greedy logging with propensities) into a RocksDB store, then times EvaluateCandidate on a
// snapshot of it with a LinUCB candidate. Usage: ope_bench [N=1000000] [dir=/tmp]. Numbers go
// to docs/benchmarks.md; nothing is asserted.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/ope.h"
#include "core/random.h"
#include "storage/rocks_store.h"

int main(int argc, char** argv) {
  using namespace router;
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000000;
  const std::string dir =
      absl::StrCat(argc > 2 ? argv[2] : "/tmp", "/ope-bench-", getpid());
  constexpr int kDim = 64, kArms = 9;
  RouterSpec spec;
  spec.name = "bench";
  spec.features.dim = kDim;
  spec.policy.kind = PolicyKind::kLinUcb;
  spec.policy.epsilon = 0.05;
  for (int a = 0; a < kArms; ++a) {
    ArmSpec arm;
    arm.id = absl::StrCat("arm", a);
    arm.input_price_per_mtok = a + 1;
    spec.arms.push_back(arm);
  }
  auto store = storage::RocksStore::Open(dir);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  Rng rng(1);
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < n; ++i) {
    Decision d;
    d.decision_id = absl::StrCat("d", i);
    d.router = "bench";
    const int arm = static_cast<int>(rng.UniformInt(kArms));
    d.arm = absl::StrCat("arm", arm);
    d.propensity = arm == 0 ? 0.95 + 0.05 / kArms : 0.05 / kArms;
    d.features.resize(kDim);
    d.features[0] = 1;
    for (int k = 1; k < kDim; ++k) d.features[k] = rng.Gaussian() / 8;
    d.timestamp = t0 + absl::Milliseconds(i);
    if (!(*store)->PutDecision(d).ok()) return 1;
    FeedbackEvent e;
    e.decision_id = d.decision_id;
    e.feedback_id = d.decision_id;
    e.signals.judge_score = rng.Uniform();
    e.signals.cost_usd = 0.001 * (arm + 1);
    e.received = d.timestamp;
    if (!(*store)->AppendFeedback(&e).ok()) return 1;
  }
  const double write_s = absl::ToDoubleSeconds(absl::Now() - t0);
  auto snapshot = (*store)->OpenLogSnapshot();
  if (!snapshot.ok()) return 1;
  RouterSpec candidate = spec;
  candidate.policy.alpha = 1.0;
  candidate.weights.cost = 0.3;
  const absl::Time start = absl::Now();
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(spec, candidate, **snapshot, {});
  const double eval_s = absl::ToDoubleSeconds(absl::Now() - start);
  if (!report.ok()) {
    std::fprintf(stderr, "%s\n", report.status().ToString().c_str());
    return 1;
  }
  std::printf("decisions %d  d %d  arms %d  log written in %.1f s  evaluated in %.1f s "
              "(%.1f us/decision)  DR objective %.4f  ESS %.0f\n",
              n, kDim, kArms, write_s, eval_s, 1e6 * eval_s / n,
              report->components[0].doubly_robust.value, report->effective_sample_size);
  snapshot->reset();
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
