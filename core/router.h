#ifndef BANDIT_ROUTER_CORE_ROUTER_H_
#define BANDIT_ROUTER_CORE_ROUTER_H_

#include <memory>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "core/arm_model.h"
#include "core/featurizer.h"
#include "core/model_state.h"
#include "core/policy.h"
#include "core/records.h"
#include "core/route_types.h"
#include "core/specs.h"
#include "core/spend_controller.h"

namespace router {

// One decision point: its arms, their per-objective models and the policy that picks among them
// (DESIGN §4). Thread-safe. Knows nothing of storage: the Engine logs what it decides.
class Router {
 public:
  // `spec` must have passed ValidateRouterSpec.
  explicit Router(const RouterSpec& spec);
  ~Router();

  const std::string& name() const { return spec_.name; }
  PolicyKind policy_kind() const { return spec_.policy.kind; }
  uint64_t policy_seed() const { return spec_.policy.seed; }
  double default_quality_prior() const { return spec_.default_quality_prior; }
  bool HasArm(absl::string_view id) const;
  RouterLayout layout() const;

  // Featurizes the query and picks an arm (DecideFeatures). `seed` fixes every random draw of
  // this decision, so the same state, query and seed always give the same decision.
  // InvalidArgument for a malformed query or an unknown allowed arm; FailedPrecondition when no
  // allowed arm is active.
  [[nodiscard]] absl::StatusOr<RouteResult> Decide(const RouteQuery& query, uint64_t seed);

  // Picks an arm for a ready feature vector x (length layout().feature_dim, finite); the query's
  // embedding, text and attributes are ignored, its arms, preferences and budget are used. For
  // replay, evaluation and tests. Utility u = w_q·quality − (w_c + μ)·cost/scale − w_l·latency/scale
  // − w_e·energy/scale with μ the spend multiplier; arms whose predicted cost exceeds max_cost_usd
  // are never chosen, unless none fits: then the cheapest, with over_budget set.
  [[nodiscard]] absl::StatusOr<RouteResult> DecideFeatures(const Eigen::VectorXd& x,
                                                           const RouteQuery& query,
                                                           uint64_t seed);

  // The context vector Decide would use for this query (same validation of embedding / text).
  [[nodiscard]] absl::StatusOr<std::vector<double>> Featurize(const RouteQuery& query) const;

  // Applies one feedback event's signals to the decided arm's models, and a realised cost to the
  // spend multiplier (not for an imported warm-start outcome: nothing was spent). DataLoss if the decision does not fit this router (unknown arm, wrong
  // feature length); InvalidArgument, with nothing learned, when the step would make the arm's
  // state non-finite (ArmModel::Learn).
  [[nodiscard]] absl::StatusOr<LearnOutcome> Learn(const Decision& decision,
                                                  const Signals& signals);

  // Recovery: counts a logged decision as if it had just been made.
  [[nodiscard]] absl::Status CountDecision(const Decision& decision);

  // InvalidArgument for a bad spec, AlreadyExists if the id is taken. The arm starts from its
  // priors (quality prior; cost from its prices) and, with min_tries, is tried first.
  [[nodiscard]] absl::StatusOr<ArmStats> AddArm(const ArmSpec& arm);
  // NotFound for an unknown arm. A disabled arm is never chosen and keeps what it learned.
  [[nodiscard]] absl::StatusOr<ArmStats> SetArmDisabled(absl::string_view arm, bool disabled);

  RouterStats Stats() const;

  // Checkpoints. A consistent copy of everything the router has learned and counted, taken under
  // its lock (O(arms·d²) copying, no I/O).
  RouterState ExportState() const;
  // What ImportState restores: everything, or only the decision counts (when the learned models
  // are rebuilt by replaying the log because the configuration changed under them).
  enum class ImportScope { kEverything, kDecisionCounts };
  // Restores an exported state; arms the state does not mention keep their current state.
  // FailedPrecondition when the state was learned under another configuration (prior, lambda,
  // gamma, prices): replaying the log rebuilds it instead. DataLoss when the state is malformed
  // (non-finite numbers, matrices not positive definite, wrong sizes) or names an arm the router
  // does not have. On error nothing changes.
  [[nodiscard]] absl::Status ImportState(const RouterState& state, ImportScope scope);

 private:
  ArmModel* FindArm(absl::string_view id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::unique_ptr<ArmModel> MakeArm(const ArmSpec& arm) const;
  absl::StatusOr<std::vector<ArmModel*>> Candidates(const RouteQuery& query)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RouterSpec spec_;  // arms_ is the live arm list; spec_.arms is only the initial one
  const Featurizer featurizer_;
  const Policy policy_;

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<ArmModel>> arms_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, ArmModel*> arms_by_id_ ABSL_GUARDED_BY(mu_);
  SpendController spend_ ABSL_GUARDED_BY(mu_);
  // Request-path scratch for the variance xᵀA⁻¹x: x and A⁻¹x in single precision.
  Eigen::VectorXf x_scratch_ ABSL_GUARDED_BY(mu_);
  Eigen::VectorXf product_scratch_ ABSL_GUARDED_BY(mu_);
  uint64_t decisions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t feedback_events_ ABSL_GUARDED_BY(mu_) = 0;
};

// Checks an arm spec on its own (id, prices, priors). The message names the offending field.
absl::Status ValidateArmSpec(const ArmSpec& arm);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_ROUTER_H_
