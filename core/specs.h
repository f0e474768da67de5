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
};

enum class PolicyKind { kLinUcb, kThompson };

struct PolicySpec {
  PolicyKind kind = PolicyKind::kLinUcb;
  double alpha = 0.5;    // LinUCB bonus width / Thompson posterior scale
  double lambda = 1.0;   // ridge prior strength
  double epsilon = 0.02; // uniform exploration floor
  double gamma = 1.0;    // forgetting factor
  uint32_t min_tries = 0;
  uint64_t seed = 1;
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
  std::vector<ArmSpec> arms;
  uint32_t typical_input_tokens = 500;
  uint32_t typical_output_tokens = 300;
  double default_quality_prior = 0.5;
  // Quality learned for a decision that expires without any quality signal (Azure Personalizer's
  // "default reward"); unset: silence teaches nothing.
  std::optional<double> default_reward;
};

// Price-based expected cost of one request on an arm, in USD.
inline double PriorCostUsd(const ArmSpec& arm, uint32_t input_tokens, uint32_t output_tokens) {
  return (arm.input_price_per_mtok * input_tokens + arm.output_price_per_mtok * output_tokens) /
         1e6;
}

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_SPECS_H_
