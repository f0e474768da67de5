// Engine::Evaluate: off-policy evaluation of a candidate config beside serving.

#include "absl/strings/str_format.h"
#include "core/engine.h"
#include "core/status_macros.h"

namespace router {

absl::StatusOr<EvaluationReport> Engine::Evaluate(
    absl::string_view name, RouterSpec candidate, const EvaluationOptions& options,
    const std::function<void(const EvaluationProgress&)>& progress) const {
  ASSIGN_OR_RETURN(Router * live, RequireRouter(name));
  auto spec = std::find_if(specs_.begin(), specs_.end(),
                           [&](const RouterSpec& s) { return s.name == name; });
  if (spec == specs_.end()) {
    return absl::InternalError(absl::StrFormat("router '%s' has no spec", name));
  }
  // The logging policy as it stands: the configured spec with the arms it has now (added at run
  // time, disabled).
  RouterSpec logging = *spec;
  logging.arms.clear();
  for (const ArmStats& arm : live->Stats().arms) logging.arms.push_back(arm.spec);
  candidate.name = logging.name;
  ASSIGN_OR_RETURN(std::unique_ptr<LogSnapshot> snapshot, store_->OpenLogSnapshot());
  return EvaluateCandidate(logging, candidate, *snapshot, options, progress);
}

}  // namespace router
