#ifndef BANDIT_ROUTER_CORE_EVENT_STORE_H_
#define BANDIT_ROUTER_CORE_EVENT_STORE_H_

// The durable log core needs, declared here and implemented in storage/ (RocksDB). Core stays
// free of any storage library.

#include <functional>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/records.h"

namespace router {

enum class AppendOutcome { kAppended, kDuplicate };

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Durably logs a decision (in the WAL before returning OK).
  virtual absl::Status PutDecision(const Decision& decision) = 0;

  // NotFound if no decision has this id.
  virtual absl::StatusOr<Decision> GetDecision(absl::string_view decision_id) = 0;

  // Atomically: if event.feedback_id was appended before, returns kDuplicate and writes nothing;
  // otherwise assigns event->sequence (strictly increasing) and event->first_for_decision, and
  // durably logs the event, its feedback id and the decision's joined mark in one batch.
  virtual absl::StatusOr<AppendOutcome> AppendFeedback(FeedbackEvent* event) = 0;

  virtual absl::Status AppendArmChange(const ArmChange& change) = 0;

  // Full scans used by recovery, each in its natural order (decisions by id, feedback and arm
  // changes by sequence). A callback error stops the scan and is returned.
  virtual absl::Status ForEachDecision(
      const std::function<absl::Status(const Decision&)>& fn) = 0;
  virtual absl::Status ForEachFeedback(
      const std::function<absl::Status(const FeedbackEvent&)>& fn) = 0;
  virtual absl::Status ForEachArmChange(
      const std::function<absl::Status(const ArmChange&)>& fn) = 0;

  virtual absl::StatusOr<std::optional<RouterLayout>> GetRouterLayout(
      absl::string_view router) = 0;
  virtual absl::Status PutRouterLayout(const RouterLayout& layout) = 0;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_EVENT_STORE_H_
