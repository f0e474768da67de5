#ifndef BANDIT_ROUTER_CORE_ARM_MODEL_H_
#define BANDIT_ROUTER_CORE_ARM_MODEL_H_

#include <cstdint>

#include "Eigen/Dense"
#include "core/records.h"
#include "absl/status/status.h"
#include "core/model_state.h"
#include "core/ridge_model.h"
#include "core/route_types.h"
#include "core/specs.h"

namespace router {

// An arm's predictions for one context.
struct ArmPrediction {
  double quality = 0;
  double quality_sd = 0;  // sqrt(xᵀA_q⁻¹x)
  double cost_usd = 0;
  double latency_ms = 0;
  double energy_j = 0;
};

// One arm: its spec and one ridge model per objective (quality, cost, latency, energy), each
// updated only when its own signal arrives, so objective weights can change per request without
// relearning (DESIGN §4). Priors sit on the bias feature: the quality prior, the price-based cost,
// the configured latency and energy priors. Not thread-safe: the owning Router locks.
class ArmModel {
 public:
  ArmModel(const ArmSpec& spec, int dim, double lambda, double prior_cost_usd);

  const ArmSpec& spec() const { return stats_.spec; }
  bool disabled() const { return stats_.spec.disabled; }
  void set_disabled(bool disabled) { stats_.spec.disabled = disabled; }
  uint64_t decisions() const { return stats_.decisions; }
  void CountDecision() { ++stats_.decisions; }

  // Predictions for x (cost, latency and energy clamped at 0). `scratch` is reused across calls so
  // the request path does not allocate.
  ArmPrediction Predict(const Eigen::Ref<const Eigen::VectorXd>& x, Eigen::VectorXf& x_scratch,
                        Eigen::VectorXf& product_scratch) const;

  // Folds one feedback event into the models: judge scores and thumbs (up = 1, down = 0) into the
  // quality model with their source weights, cost (or tokens priced at list prices), latency and
  // energy into theirs. Fills the arm-level fields of `out` (out->cost_usd is the cost learned).
  // InvalidArgument when a value or a running sum would not be finite: then nothing is learned
  // (checked before any model moves; each ridge step also refuses a non-finite result itself).
  [[nodiscard]] absl::Status Learn(const Eigen::Ref<const Eigen::VectorXd>& x,
                                   const Signals& signals, double gamma,
                                   const QualitySourceWeights& sources, LearnOutcome* out);

  ArmStats Stats() const;

  // Checkpoints (arm_model_state.cc). The exported state restores the arm bit for bit.
  ArmState ExportState() const;
  // Restores the decision count, and with `everything` also the models and counters.
  // FailedPrecondition when the state was learned under other prices or priors (replay the log
  // instead); DataLoss when it is malformed. On error the arm is unchanged.
  [[nodiscard]] absl::Status ImportState(const ArmState& state, bool everything);

 private:
  ArmStats stats_;  // spec and counters; prior_quality is filled in by Stats()
  RidgeModel quality_;
  RidgeModel cost_;
  RidgeModel latency_;
  RidgeModel energy_;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_ARM_MODEL_H_
