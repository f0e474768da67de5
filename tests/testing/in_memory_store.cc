#include "tests/testing/in_memory_store.h"

#include "absl/strings/str_cat.h"

namespace router::testing {

absl::Status InMemoryStore::PutDecision(const Decision& decision) {
  absl::MutexLock lock(&mu_);
  Decision d = decision;
  d.sequence = ++last_decision_sequence_;
  decision_log_[d.sequence] = d.decision_id;
  decisions_[d.decision_id] = std::move(d);
  return absl::OkStatus();
}

absl::StatusOr<Decision> InMemoryStore::GetDecision(absl::string_view decision_id) {
  absl::MutexLock lock(&mu_);
  auto it = decisions_.find(decision_id);
  if (it == decisions_.end()) {
    return absl::NotFoundError(absl::StrCat("decision '", decision_id, "' not found"));
  }
  return it->second;
}

absl::StatusOr<AppendOutcome> InMemoryStore::AppendFeedback(FeedbackEvent* event) {
  absl::MutexLock lock(&mu_);
  if (feedback_ids_.contains(event->feedback_id)) return AppendOutcome::kDuplicate;
  auto it = decisions_.find(event->decision_id);
  if (it == decisions_.end()) {
    return absl::NotFoundError(absl::StrCat("decision '", event->decision_id, "' not found"));
  }
  Decision& decision = it->second;
  JoinFeedbackToDecision(decision, *event);
  event->sequence = events_.size() + 1;
  events_.push_back(*event);
  feedback_ids_.insert(event->feedback_id);
  return AppendOutcome::kAppended;
}

absl::StatusOr<bool> InMemoryStore::HasFeedbackId(absl::string_view feedback_id) {
  absl::MutexLock lock(&mu_);
  return feedback_ids_.contains(feedback_id);
}

uint64_t InMemoryStore::LastDecisionSequence() {
  absl::MutexLock lock(&mu_);
  return last_decision_sequence_;
}

uint64_t InMemoryStore::LastFeedbackSequence() {
  absl::MutexLock lock(&mu_);
  return events_.size();
}

absl::Status InMemoryStore::AppendArmChange(const ArmChange& change) {
  absl::MutexLock lock(&mu_);
  arm_changes_.push_back(change);
  return absl::OkStatus();
}

// The scans copy what they visit first, so a callback may call back into the store.
absl::Status InMemoryStore::ForEachArmChange(
    const std::function<absl::Status(const ArmChange&)>& fn) {
  std::vector<ArmChange> changes;
  {
    absl::MutexLock lock(&mu_);
    changes = arm_changes_;
  }
  for (const ArmChange& change : changes) {
    if (absl::Status s = fn(change); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::vector<Decision> InMemoryStore::DecisionLogAfter(uint64_t after) const {
  std::vector<Decision> entries;
  for (auto it = decision_log_.upper_bound(after); it != decision_log_.end(); ++it) {
    const Decision& full = decisions_.at(it->second);
    Decision entry;
    entry.decision_id = full.decision_id;
    entry.router = full.router;
    entry.arm = full.arm;
    entry.timestamp = full.timestamp;
    entry.imported = full.imported;
    entry.sequence = full.sequence;
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::Status InMemoryStore::ForEachDecisionAfter(
    uint64_t after, const std::function<absl::Status(const Decision&)>& fn) {
  std::vector<Decision> entries;
  {
    absl::MutexLock lock(&mu_);
    entries = DecisionLogAfter(after);
  }
  for (const Decision& d : entries) {
    if (absl::Status s = fn(d); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InMemoryStore::ForEachFeedbackAfter(
    uint64_t after, const std::function<absl::Status(const FeedbackEvent&)>& fn) {
  std::vector<FeedbackEvent> events;
  {
    absl::MutexLock lock(&mu_);
    if (after < events_.size()) events.assign(events_.begin() + after, events_.end());
  }
  for (const FeedbackEvent& e : events) {
    if (absl::Status s = fn(e); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Decision>> InMemoryStore::ExpiredDecisions(absl::Time cutoff,
                                                                      uint64_t max_sequence,
                                                                      size_t limit) {
  absl::MutexLock lock(&mu_);
  std::vector<Decision> out;
  for (const auto& [sequence, id] : decision_log_) {
    if (out.size() >= limit) break;
    const Decision& d = decisions_.at(id);
    if (sequence > max_sequence || d.timestamp >= cutoff) break;
    out.push_back(d);
  }
  return out;
}

absl::Status InMemoryStore::DeleteDecisions(const std::vector<Decision>& decisions) {
  absl::MutexLock lock(&mu_);
  for (const Decision& d : decisions) {
    decisions_.erase(d.decision_id);
    decision_log_.erase(d.sequence);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<EngineCheckpoint>> InMemoryStore::ReadCheckpoint() {
  absl::MutexLock lock(&mu_);
  if (!checkpoint_header_) return std::optional<EngineCheckpoint>();
  EngineCheckpoint checkpoint = *checkpoint_header_;
  for (const auto& [name, rc] : router_checkpoints_) checkpoint.routers.push_back(rc);
  return std::optional<EngineCheckpoint>(std::move(checkpoint));
}

absl::Status InMemoryStore::WriteCheckpoint(const EngineCheckpoint& checkpoint) {
  absl::MutexLock lock(&mu_);
  EngineCheckpoint header = checkpoint;
  header.routers.clear();
  checkpoint_header_ = std::move(header);
  for (const RouterCheckpoint& rc : checkpoint.routers) router_checkpoints_[rc.state.router] = rc;
  return absl::OkStatus();
}

void InMemoryStore::DropCheckpoint() {
  absl::MutexLock lock(&mu_);
  checkpoint_header_.reset();
  router_checkpoints_.clear();
}

absl::StatusOr<absl::Time> InMemoryStore::FirstStart(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (!first_start_) first_start_ = now;
  return *first_start_;
}

absl::StatusOr<std::optional<RouterLayout>> InMemoryStore::GetRouterLayout(
    absl::string_view router) {
  absl::MutexLock lock(&mu_);
  auto it = layouts_.find(router);
  if (it == layouts_.end()) return std::optional<RouterLayout>();
  return std::optional<RouterLayout>(it->second);
}

absl::Status InMemoryStore::PutRouterLayout(const RouterLayout& layout) {
  absl::MutexLock lock(&mu_);
  layouts_[layout.router] = layout;
  return absl::OkStatus();
}

namespace {

// Hands out copies of the records with sequence > `after`, in order.
template <typename Record>
class CopiedLogCursor final : public LogCursor<Record> {
 public:
  CopiedLogCursor(const std::vector<Record>& log, uint64_t after) {
    for (const Record& r : log) {
      if (r.sequence > after) records_.push_back(r);
    }
  }
  absl::StatusOr<bool> Next(Record* out) override {
    if (next_ == records_.size()) return false;
    *out = records_[next_++];
    return true;
  }

 private:
  std::vector<Record> records_;
  size_t next_ = 0;
};

class CopiedLogSnapshot final : public LogSnapshot {
 public:
  CopiedLogSnapshot(std::vector<Decision> decisions, std::vector<FeedbackEvent> events,
                    uint64_t last_decision_sequence)
      : decisions_(std::move(decisions)),
        events_(std::move(events)),
        last_decision_sequence_(last_decision_sequence) {}
  uint64_t last_decision_sequence() const override { return last_decision_sequence_; }
  uint64_t last_feedback_sequence() const override { return events_.size(); }
  std::unique_ptr<LogCursor<Decision>> Decisions(uint64_t after) override {
    return std::make_unique<CopiedLogCursor<Decision>>(decisions_, after);
  }
  std::unique_ptr<LogCursor<FeedbackEvent>> Feedback(uint64_t after) override {
    return std::make_unique<CopiedLogCursor<FeedbackEvent>>(events_, after);
  }

 private:
  const std::vector<Decision> decisions_;
  const std::vector<FeedbackEvent> events_;
  const uint64_t last_decision_sequence_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogSnapshot>> InMemoryStore::OpenLogSnapshot() {
  absl::MutexLock lock(&mu_);
  return std::unique_ptr<LogSnapshot>(
      std::make_unique<CopiedLogSnapshot>(DecisionLogAfter(0), events_, last_decision_sequence_));
}

}  // namespace router::testing
