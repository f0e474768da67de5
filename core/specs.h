#ifndef BANDIT_ROUTER_CORE_SPECS_H_
#define BANDIT_ROUTER_CORE_SPECS_H_

// Validated router configuration as core sees it. services/ builds these from config.proto;
// core never parses text or protos.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace router {

struct FeatureSpec {
  int dim = 64;                // total feature dimension d, bias included
  int embedding_dim = 0;       // expected request embedding length; 0 = none accepted
  int embedding_proj_dim = 0;  // slots after the bias given to the projected embedding
  uint64_t seed = 0;
  enum class TextFeatures { kBasic = 0, kRich = 1, kStructured = 2 };
  TextFeatures text_features = TextFeatures::kBasic;
};

// kEpsilonGreedy and kUniform are baselines for evaluation, not for production routing.
enum class PolicyKind { kLinUcb, kThompson, kEpsilonGreedy, kUniform };

struct PolicySpec {
  PolicyKind kind = PolicyKind::kLinUcb;
  double alpha = 0.1;    // LinUCB bonus width / Thompson posterior scale (docs/evaluation.md)
  double lambda = 4.0;   // ridge prior strength
  double epsilon = 0.02; // uniform exploration floor (the exploration rate of kEpsilonGreedy)
  double gamma = 1.0;    // forgetting factor
  uint32_t min_tries = 0;
  uint64_t seed = 1;
  // Shared quality prior (empirical Bayes across arms): every arm's quality prior mean is its own
  // prior plus what a ridge model pooled over every arm's quality observations has learned, so
  // what one arm's traffic teaches about a query (its difficulty, its kind) reaches every arm,
  // and an arm's own data moves it away from the pool with strength λ.
  bool shared_prior = true;
};

// How much one observation of each quality source counts in the quality model (a weighted ridge
// update: weight 2 counts like two identical observations, 0 ignores the source).
struct QualitySourceWeights {
  double thumbs = 1.0;
  double judge = 1.0;
};

// Router-level spend target held by an online Lagrange multiplier (core/spend_controller.h).
struct SpendSpec {
  double target_cost_per_request_usd = 0;  // 0 = no target, the multiplier stays 0
  double learning_rate = 0.05;             // η of the multiplier update
  // Lower bound of the multiplier. Negative: below target the router spends toward it (cost is
  // rewarded, so the pricier arm wins where quality predictions are close); 0: a cap only.
  double min_multiplier = -1.0;
};

struct ObjectiveWeights {
  double quality = 1.0;
  double cost = 0.0;
  double latency = 0.0;
  double energy = 0.0;
};

// Units in which the penalties of the utility are expressed (see router.proto Preferences).
struct ObjectiveScales {
  double cost_usd = 1.0;
  double latency_ms = 1000.0;
  double energy_j = 100.0;
};

// Cascades (RouterService.Escalate); see core/cascade.h. max_attempts < 2: route-only.
struct CascadeSpec {
  uint32_t max_attempts = 0;
  double alpha = 0.1;
  double epsilon = 0.02;
  double lambda = 4.0;
};

struct ArmSpec {
  std::string id;
  double input_price_per_mtok = 0;
  double output_price_per_mtok = 0;
  double quality_prior = 0.5;
  std::optional<double> latency_prior_ms;
  std::optional<double> energy_prior_j;
  bool disabled = false;
};

struct RouterSpec {
  std::string name;
  FeatureSpec features;
  PolicySpec policy;
  ObjectiveWeights weights;
  ObjectiveScales scales;
  QualitySourceWeights quality_sources;
  SpendSpec spend;
  std::vector<ArmSpec> arms;
  uint32_t typical_input_tokens = 500;
  uint32_t typical_output_tokens = 300;
  double default_quality_prior = 0.5;
  // Quality learned for a decision that expires without any quality signal (Azure Personalizer's
  // "default reward"); unset: silence teaches nothing.
  std::optional<double> default_reward;
  CascadeSpec cascade;
};

// Price-based expected cost of one request on an arm, in USD.
inline double PriorCostUsd(const ArmSpec& arm, uint32_t input_tokens, uint32_t output_tokens) {
  return (arm.input_price_per_mtok * input_tokens + arm.output_price_per_mtok * output_tokens) /
         1e6;
}

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_SPECS_H_
