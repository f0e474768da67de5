// Off-policy evaluation (core/ope.h): the estimators against an environment whose target value is
// known exactly, and EvaluateCandidate on logs made by a real Router.

#include "core/ope.h"

#include <cstdio>
#include <memory>
#include <vector>

#include "core/policy.h"
#include "core/random.h"
#include "core/router.h"
#include "gtest/gtest.h"
#include "tests/core/synthetic_env.h"

namespace router {
namespace {

using testing::ArmId;
using testing::LinearEnv;
using testing::LinearSpec;

// ---- The estimators alone -------------------------------------------------------------------

// Five discrete contexts, three arms with Bernoulli rewards of known means; the logging policy
// and the target are fixed tables, so the target's value is known in closed form.
constexpr int kContexts = 5;
constexpr int kArms = 3;
constexpr double kMean[kContexts][kArms] = {
    {0.9, 0.2, 0.5}, {0.1, 0.8, 0.4}, {0.3, 0.3, 0.7}, {0.6, 0.5, 0.1}, {0.2, 0.9, 0.6}};
// Logging: mostly arm 0, every arm with probability >= 0.1.
constexpr double kLogging[kArms] = {0.7, 0.2, 0.1};
// Target: the best arm of each context with 0.8, the others 0.1.
double Target(int x, int a) {
  int best = 0;
  for (int b = 1; b < kArms; ++b) {
    if (kMean[x][b] > kMean[x][best]) best = b;
  }
  return a == best ? 0.8 : 0.1;
}
double TrueTargetValue() {
  double v = 0;
  for (int x = 0; x < kContexts; ++x) {
    for (int a = 0; a < kArms; ++a) v += Target(x, a) * kMean[x][a] / kContexts;
  }
  return v;
}

int Draw(Rng& rng, const double* p, int n) {
  double u = rng.Uniform();
  for (int a = 0; a < n - 1; ++a) {
    if ((u -= p[a]) < 0) return a;
  }
  return n - 1;
}

// One logged data set of n decisions. The reward model predicts `model_bias` + the true mean
// (0 bias: a correct model).
OpeAccumulator LogAndEstimate(uint64_t seed, int n, double model_bias) {
  // Mixed: Rng streams of consecutive seeds overlap.
  Rng rng(Mix64(seed));
  OpeAccumulator acc;
  for (int i = 0; i < n; ++i) {
    const int x = static_cast<int>(rng.UniformInt(kContexts));
    const int a = Draw(rng, kLogging, kArms);
    const double r = rng.Uniform() < kMean[x][a] ? 1.0 : 0.0;
    double target = 0;
    for (int b = 0; b < kArms; ++b) target += Target(x, b) * (kMean[x][b] + model_bias);
    acc.Add(Target(x, a) / kLogging[a], r, kMean[x][a] + model_bias, target);
  }
  return acc;
}

TEST(OpeEstimatorsTest, IntervalsCoverTheKnownValue) {
  const double truth = TrueTargetValue();
  constexpr int kSeeds = 400;
  int ips = 0, snips = 0, dr = 0, dr_biased = 0;
  double ips_se = 0, dr_se = 0;
  for (int s = 0; s < kSeeds; ++s) {
    const OpeAccumulator exact = LogAndEstimate(1000 + s, 2000, 0.0);
    const OpeAccumulator biased = LogAndEstimate(1000 + s, 2000, 0.15);
    auto covers = [&](const Estimate& e) { return e.ci_low <= truth && truth <= e.ci_high; };
    ips += covers(exact.Ips(1.96));
    snips += covers(exact.Snips(1.96));
    dr += covers(exact.DoublyRobust(1.96));
    dr_biased += covers(biased.DoublyRobust(1.96));
    ips_se += exact.Ips(1.96).std_error;
    dr_se += exact.DoublyRobust(1.96).std_error;
  }
  std::printf("covered of %d: IPS %d, SNIPS %d, DR %d, DR biased model %d\n", kSeeds, ips, snips,
              dr, dr_biased);
  // 95% intervals: between 90% and 99% of 400 seeds (a miscalibrated interval leaves this band).
  for (int covered : {ips, snips, dr, dr_biased}) {
    EXPECT_GE(covered, 0.90 * kSeeds);
    EXPECT_LE(covered, 0.99 * kSeeds);
  }
  // A correct reward model only removes noise: DR's interval is narrower than IPS's.
  EXPECT_LT(dr_se, 0.8 * ips_se);
}

TEST(OpeEstimatorsTest, EqualPoliciesGiveTheLoggedMean) {
  OpeAccumulator acc;
  Rng rng(3);
  double sum = 0;
  for (int i = 0; i < 1000; ++i) {
    const double r = rng.Uniform();
    sum += r;
    acc.Add(1.0, r, 0.3, 0.3);
  }
  EXPECT_DOUBLE_EQ(acc.Ips(1.96).value, sum / 1000);
  EXPECT_DOUBLE_EQ(acc.Snips(1.96).value, sum / 1000);
  EXPECT_NEAR(acc.DoublyRobust(1.96).value, sum / 1000, 1e-12);
  EXPECT_DOUBLE_EQ(acc.Logged(1.96).value, sum / 1000);
  EXPECT_NEAR(acc.EffectiveSampleSize(), 1000, 1e-9);
}

// ---- EvaluateCandidate on a Router's log ----------------------------------------------------

// A log held in memory, in the shape a storage snapshot hands out.
class MemorySnapshot final : public LogSnapshot {
 public:
  std::vector<Decision> decisions;
  std::vector<FeedbackEvent> events;

  uint64_t last_decision_sequence() const override { return decisions.size(); }
  uint64_t last_feedback_sequence() const override { return events.size(); }
  std::unique_ptr<LogCursor<Decision>> Decisions(uint64_t after) override {
    return std::make_unique<Cursor<Decision>>(decisions, after);
  }
  std::unique_ptr<LogCursor<FeedbackEvent>> Feedback(uint64_t after) override {
    return std::make_unique<Cursor<FeedbackEvent>>(events, after);
  }

 private:
  template <typename T>
  class Cursor final : public LogCursor<T> {
   public:
    Cursor(const std::vector<T>& v, uint64_t after) : v_(v), next_(after) {}
    absl::StatusOr<bool> Next(T* out) override {
      if (next_ >= v_.size()) return false;
      *out = v_[next_++];
      return true;
    }

   private:
    const std::vector<T>& v_;
    size_t next_;
  };
};

struct LoggedRun {
  MemorySnapshot log;
  std::vector<Eigen::VectorXd> contexts;  // per decision
};

// Routes n contexts of `env` with a Router built from `spec`, feeding back a judge score of
// mean + noise after each decision, and logs both as the engine would.
std::unique_ptr<LoggedRun> RunLogged(const LinearEnv& env, const RouterSpec& spec, int n,
                                     uint64_t seed) {
  auto run = std::make_unique<LoggedRun>();
  Router router(spec);
  Rng rng(Mix64(seed));
  RouteQuery query;
  query.router = spec.name;
  const absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  for (int i = 0; i < n; ++i) {
    Eigen::VectorXd x = env.Context(rng);
    RouteResult r = testing::DecideOrDie(router, x, query, Mix64(seed ^ i));
    Decision d = r.decision;
    d.decision_id = absl::StrCat("d", i);
    d.sequence = i + 1;
    d.timestamp = t0 + absl::Seconds(i);
    Signals s;
    s.judge_score = std::clamp(env.Mean(testing::ArmIndex(d.arm), x) + 0.1 * rng.Gaussian(), 0.0, 1.0);
    testing::LearnOrDie(router, d, s);
    run->log.decisions.push_back(d);
    FeedbackEvent e;
    e.sequence = i + 1;
    e.first_for_decision = true;
    e.decision_id = d.decision_id;
    e.feedback_id = d.decision_id;
    e.signals = s;
    e.received = d.timestamp + absl::Milliseconds(10);
    e.router = d.router;
    e.arm = d.arm;
    e.features = d.features;
    e.propensity = d.propensity;
    run->log.events.push_back(e);
    run->contexts.push_back(x);
  }
  return run;
}

LinearEnv Env() { return LinearEnv(8, {0.45, 0.5, 0.55, 0.4}, 0.3, 11); }

TEST(EvaluateCandidateTest, IdenticalCandidateEstimatesTheRealisedValue) {
  const LinearEnv env = Env();
  const RouterSpec spec = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.5, 0.1);
  auto run = RunLogged(env, spec, 2000, 5);
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(spec, spec, run->log, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->decisions_evaluated, 2000u);
  // The candidate replays the live router exactly: every weight is 1.
  EXPECT_DOUBLE_EQ(report->mean_weight, 1.0);
  EXPECT_DOUBLE_EQ(report->max_weight, 1.0);
  EXPECT_NEAR(report->effective_sample_size, 2000, 1e-6);
  const ComponentReport& q = report->components[static_cast<int>(ValueComponent::kQuality)];
  EXPECT_EQ(q.samples, 2000u);
  EXPECT_NEAR(q.ips.value, q.logged.value, 1e-12);
  EXPECT_NEAR(q.snips.value, q.logged.value, 1e-12);
  EXPECT_LE(q.doubly_robust.ci_low, q.logged.value);
  EXPECT_GE(q.doubly_robust.ci_high, q.logged.value);
  // The objective weighs quality only here.
  const ComponentReport& obj = report->components[0];
  EXPECT_NEAR(obj.ips.value, q.ips.value, 1e-12);
  EXPECT_TRUE(report->warnings.empty()) << report->warnings[0];
}

TEST(EvaluateCandidateTest, IdenticalThompsonCandidateWeighsOne) {
  const LinearEnv env = Env();
  const RouterSpec spec = LinearSpec(PolicyKind::kThompson, env.dim(), env.arms(), 1.0, 0.05);
  auto run = RunLogged(env, spec, 600, 6);
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(spec, spec, run->log, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_DOUBLE_EQ(report->mean_weight, 1.0);
  EXPECT_DOUBLE_EQ(report->max_weight, 1.0);
}

// The uniform policy ignores what it learns, so its value on the logged contexts is known:
// the mean over decisions of the arms' average expected quality.
TEST(EvaluateCandidateTest, UniformCandidateMatchesItsKnownValue) {
  const LinearEnv env = Env();
  const RouterSpec logging = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.5, 0.3);
  RouterSpec uniform = logging;
  uniform.policy.kind = PolicyKind::kUniform;
  int covered = 0;
  constexpr int kSeeds = 20;
  for (int s = 0; s < kSeeds; ++s) {
    auto run = RunLogged(env, logging, 1500, 100 + s);
    double truth = 0;
    for (const Eigen::VectorXd& x : run->contexts) {
      for (int a = 0; a < env.arms(); ++a) truth += env.Mean(a, x) / env.arms();
    }
    truth /= run->contexts.size();
    absl::StatusOr<EvaluationReport> report = EvaluateCandidate(logging, uniform, run->log, {});
    ASSERT_TRUE(report.ok()) << report.status();
    const Estimate& dr = report->components[1].doubly_robust;
    covered += dr.ci_low <= truth && truth <= dr.ci_high;
    EXPECT_NEAR(report->components[1].ips.value, truth, 0.05);
    EXPECT_LT(report->mean_weight, 1.3);
    EXPECT_GT(report->mean_weight, 0.7);
  }
  EXPECT_GE(covered, 17);  // 95% intervals over 20 seeds
}

TEST(EvaluateCandidateTest, ReportsSupportViolations) {
  const LinearEnv env = Env();
  // A greedy logger (ε = 0, LinUCB): every decision has propensity 1.
  const RouterSpec logging = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.5, 0.0);
  auto run = RunLogged(env, logging, 500, 7);
  RouterSpec uniform = logging;
  uniform.policy.kind = PolicyKind::kUniform;
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(logging, uniform, run->log, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->unsupported_mass, 0.75, 1e-9);  // 3 of 4 arms, each 1/4
  EXPECT_EQ(report->unsupported_decisions, 500u);
  ASSERT_FALSE(report->warnings.empty());
  EXPECT_NE(report->warnings[0].find("support violation"), std::string::npos)
      << report->warnings[0];

  // A candidate with an arm the logger never had: named in the warning.
  const RouterSpec explorer = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.5, 0.2);
  auto explored = RunLogged(env, explorer, 500, 8);
  RouterSpec bigger = explorer;
  bigger.policy.kind = PolicyKind::kUniform;
  ArmSpec extra;
  extra.id = "brand-new";
  bigger.arms.push_back(extra);
  report = EvaluateCandidate(explorer, bigger, explored->log, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_NEAR(report->unsupported_mass, 0.2, 1e-9);
  bool named = false;
  for (const std::string& w : report->warnings) named |= w.find("brand-new") != std::string::npos;
  EXPECT_TRUE(named);
  // The explored log supports the 4 original arms: no violation for a uniform over them.
  RouterSpec same_arms = explorer;
  same_arms.policy.kind = PolicyKind::kUniform;
  report = EvaluateCandidate(explorer, same_arms, explored->log, {});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->unsupported_decisions, 0u);
}

TEST(EvaluateCandidateTest, TinyEffectiveSampleSizeIsWarned) {
  // One arm is clearly best everywhere: a greedy logger with a 2% floor nearly always picks it,
  // and a candidate without it can only be matched on the rare exploration draws.
  const LinearEnv env(8, {0.2, 0.3, 0.8, 0.25}, 0.05, 11);
  RouterSpec logging = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.0, 0.02);
  auto run = RunLogged(env, logging, 300, 9);
  RouterSpec candidate = logging;
  candidate.arms[2].disabled = true;
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(logging, candidate, run->log, {});
  ASSERT_TRUE(report.ok()) << report.status();
  bool warned = false;
  for (const std::string& w : report->warnings) warned |= w.find("effective sample") != std::string::npos;
  EXPECT_TRUE(warned) << "ESS " << report->effective_sample_size;
}

TEST(EvaluateCandidateTest, WindowOnlyEvaluatesRecentDecisions) {
  const LinearEnv env = Env();
  const RouterSpec spec = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.5, 0.1);
  auto run = RunLogged(env, spec, 400, 10);
  EvaluationOptions options;
  options.window_start = run->log.decisions[300].timestamp;
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(spec, spec, run->log, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->decisions_evaluated, 100u);
  EXPECT_EQ(report->events_learned, 400u);
  // Learned on the same prefix: still an exact replay.
  EXPECT_DOUBLE_EQ(report->max_weight, 1.0);

  options.window_start = run->log.events.back().received + absl::Seconds(1);
  report = EvaluateCandidate(spec, spec, run->log, options);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition) << report.status();
}

TEST(EvaluateCandidateTest, ChangedFeatureLayoutIsRefusedNamingTheField) {
  const LinearEnv env = Env();
  const RouterSpec spec = LinearSpec(PolicyKind::kLinUcb, env.dim(), env.arms(), 0.5, 0.1);
  auto run = RunLogged(env, spec, 10, 11);
  RouterSpec candidate = spec;
  candidate.features.dim = 16;
  absl::StatusOr<EvaluationReport> report = EvaluateCandidate(spec, candidate, run->log, {});
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("candidate.features.dim"), std::string::npos)
      << report.status();
}

TEST(PolicyProbabilitiesTest, SumToOneAndMatchChoose) {
  for (PolicyKind kind : {PolicyKind::kLinUcb, PolicyKind::kThompson, PolicyKind::kEpsilonGreedy,
                          PolicyKind::kUniform}) {
    PolicySpec spec;
    spec.kind = kind;
    spec.epsilon = 0.1;
    spec.alpha = 1.0;
    spec.min_tries = kind == PolicyKind::kEpsilonGreedy ? 2 : 0;
    Policy policy(spec);
    std::vector<PolicyArm> arms = {{0.5, 0.2, 0.1, 5, true}, {0.6, 0.3, 0.0, 1, true},
                                   {0.4, 0.1, 0.0, 9, false}, {0.55, 0.25, 0.05, 0, true}};
    for (uint64_t seed = 1; seed < 30; ++seed) {
      std::vector<PolicyScore> scores(arms.size());
      policy.Score(arms, 1.0, seed, absl::MakeSpan(scores));
      std::vector<double> p(arms.size());
      policy.Probabilities(arms, scores, 1.0, absl::MakeSpan(p));
      const Choice c = policy.Choose(arms, scores, 1.0, seed);
      EXPECT_EQ(p[c.index], c.propensity);
      EXPECT_EQ(p[2], 0.0);  // ineligible
      EXPECT_NEAR(p[0] + p[1] + p[2] + p[3], 1.0, 2e-3);
    }
  }
}

}  // namespace
}  // namespace router
