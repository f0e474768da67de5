// Decide and Learn of the policy engine, through Router::DecideFeatures and Router::Learn (the
// featurizer is not included: it depends on the request, not on the policy).
//
// Arguments: policy (0 LinUCB, 1 Thompson), K arms, d features. "Trained" state: every arm has
// seen 200 Bernoulli rewards from a linear environment whose arms differ by 0.3 in quality, so
// Thompson's propensity works on realistically separated posteriors. BM_DecideCold measures a fresh
// router, where all arms are identical and the propensity quadrature has the most work.

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "benchmark/benchmark.h"
#include "core/featurizer.h"
#include "core/random.h"
#include "core/router.h"
#include "core/stable_hash.h"

namespace router {
namespace {

constexpr int kContexts = 256;

std::vector<Eigen::VectorXd> Contexts(int dim, uint64_t seed) {
  Rng rng(seed);
  std::vector<Eigen::VectorXd> out;
  for (int i = 0; i < kContexts; ++i) {
    Eigen::VectorXd x(dim);
    x(0) = 1;
    for (int j = 1; j < dim; ++j) x(j) = rng.Gaussian();
    x.tail(dim - 1).normalize();
    out.push_back(x);
  }
  return out;
}

RouterSpec Spec(PolicyKind kind, int arms, int dim) {
  RouterSpec spec;
  spec.name = "bench";
  spec.features.dim = dim;
  spec.policy.kind = kind;
  spec.policy.alpha = kind == PolicyKind::kThompson ? 0.2 : 0.3;
  spec.policy.epsilon = 0.02;
  spec.weights.cost = 0.3;
  spec.scales.cost_usd = 0.01;
  for (int a = 0; a < arms; ++a) {
    ArmSpec arm;
    arm.id = "arm" + std::to_string(a);
    arm.output_price_per_mtok = 1.0 + a;
    spec.arms.push_back(arm);
  }
  return spec;
}

Decision Logged(const std::string& arm, const Eigen::VectorXd& x) {
  Decision d;
  d.arm = arm;
  d.features.assign(x.data(), x.data() + x.size());
  return d;
}

void Train(Router& router, int arms, const std::vector<Eigen::VectorXd>& contexts) {
  Rng rng(17);
  const int dim = static_cast<int>(contexts[0].size());
  std::vector<Eigen::VectorXd> theta;
  for (int a = 0; a < arms; ++a) {
    Eigen::VectorXd t = Eigen::VectorXd::Zero(dim);
    t(0) = 0.4 + 0.3 * a / arms;
    for (int j = 1; j < dim; ++j) t(j) = 0.2 * rng.Gaussian() / std::sqrt(dim);
    theta.push_back(t);
  }
  for (int round = 0; round < 200; ++round) {
    for (int a = 0; a < arms; ++a) {
      const Eigen::VectorXd& x = contexts[rng.UniformInt(kContexts)];
      Signals s;
      s.thumbs = rng.Uniform() < theta[a].dot(x) ? ThumbsSignal::kUp : ThumbsSignal::kDown;
      s.cost_usd = 0.001 * (1 + a);
      (void)router.Learn(Logged("arm" + std::to_string(a), x), s);
    }
  }
}

PolicyKind Kind(const benchmark::State& state) {
  return state.range(0) == 0 ? PolicyKind::kLinUcb : PolicyKind::kThompson;
}

void Decide(benchmark::State& state, bool trained) {
  const int arms = static_cast<int>(state.range(1)), dim = static_cast<int>(state.range(2));
  const std::vector<Eigen::VectorXd> contexts = Contexts(dim, 1);
  Router router(Spec(Kind(state), arms, dim));
  if (trained) Train(router, arms, contexts);
  const RouteQuery query;
  uint64_t i = 0;
  for (auto _ : state) {
    auto r = router.DecideFeatures(contexts[i % kContexts], query, Mix64(i));
    benchmark::DoNotOptimize(r);
    ++i;
  }
}

void BM_Decide(benchmark::State& state) { Decide(state, /*trained=*/true); }
void BM_DecideCold(benchmark::State& state) { Decide(state, /*trained=*/false); }

// One feedback event with one quality signal (a judge score): one ridge update.
void BM_Learn(benchmark::State& state) {
  const int arms = static_cast<int>(state.range(1)), dim = static_cast<int>(state.range(2));
  const std::vector<Eigen::VectorXd> contexts = Contexts(dim, 2);
  RouterSpec spec = Spec(Kind(state), arms, dim);
  spec.policy.gamma = state.range(3) == 0 ? 1.0 : 0.999;
  Router router(spec);
  std::vector<Decision> decisions;
  for (int i = 0; i < kContexts; ++i) {
    decisions.push_back(Logged("arm" + std::to_string(i % arms), contexts[i]));
  }
  Signals signals;
  signals.judge_score = 0.7;
  uint64_t i = 0;
  for (auto _ : state) {
    auto r = router.Learn(decisions[i % kContexts], signals);
    benchmark::DoNotOptimize(r);
    ++i;
  }
}

void Matrix(benchmark::internal::Benchmark* b) {
  for (int policy : {0, 1}) {
    for (int arms : {4, 16}) {
      for (int dim : {32, 64, 128, 256, 512}) b->Args({policy, arms, dim});
    }
  }
  b->ArgNames({"policy", "K", "d"});
}

void LearnMatrix(benchmark::internal::Benchmark* b) {
  for (int policy : {0, 1}) {
    for (int arms : {4, 16}) {
      for (int dim : {32, 64, 128, 256, 512}) b->Args({policy, arms, dim, 0});
    }
  }
  // With forgetting (γ < 1): amortised O(d³) prior restore every d updates.
  for (int dim : {32, 64, 128, 256}) b->Args({0, 16, dim, 1});
  b->ArgNames({"policy", "K", "d", "forget"});
}

// The featurizer on the default router's spec (d = 64, 32 slots for a 384-float embedding):
// a 200-character text (range 0 = basic, 1 = rich text features), or an embedding alone.
void BM_FeaturizeText(benchmark::State& state) {
  FeatureSpec spec;
  spec.dim = 64;
  spec.embedding_dim = 384;
  spec.embedding_proj_dim = 32;
  spec.text_features =
      state.range(0) == 0 ? FeatureSpec::TextFeatures::kBasic : FeatureSpec::TextFeatures::kRich;
  const Featurizer featurizer(spec);
  const std::string text =
      "Q: A train leaves the station at 3 pm travelling at 60 km/h. A second train leaves an "
      "hour later at 90 km/h on the same track. When does the second train catch up? Answer "
      "step by step. Show your work.";
  const std::map<std::string, std::string> attributes;
  for (auto _ : state) {
    auto x = featurizer.Featurize({}, text, attributes);
    benchmark::DoNotOptimize(x);
  }
  state.SetLabel(std::to_string(text.size()) + " characters");
}

void BM_FeaturizeEmbedding(benchmark::State& state) {
  FeatureSpec spec;
  spec.dim = 64;
  spec.embedding_dim = 384;
  spec.embedding_proj_dim = 32;
  const Featurizer featurizer(spec);
  std::vector<float> embedding(384);
  for (int j = 0; j < 384; ++j) embedding[j] = static_cast<float>(std::sin(0.37 * (j + 1)));
  const std::map<std::string, std::string> attributes;
  for (auto _ : state) {
    auto x = featurizer.Featurize(embedding, "", attributes);
    benchmark::DoNotOptimize(x);
  }
}

BENCHMARK(BM_FeaturizeText)->Arg(0)->Arg(1)->ArgNames({"rich"});
BENCHMARK(BM_FeaturizeEmbedding);
BENCHMARK(BM_Decide)->Apply(Matrix);
BENCHMARK(BM_DecideCold)->Args({1, 4, 64})->Args({1, 16, 64})->ArgNames({"policy", "K", "d"});
BENCHMARK(BM_Learn)->Apply(LearnMatrix);

}  // namespace
}  // namespace router
