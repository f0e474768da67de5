#ifndef BANDIT_ROUTER_STORAGE_ROCKS_STORE_H_
#define BANDIT_ROUTER_STORAGE_ROCKS_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/event_store.h"
#include "rocksdb/db.h"

namespace router::storage {

// Column families, in the order they are opened.
enum class ColumnFamily : int {
  kDefault = 0,
  kDecisions = 1,    // decision id -> DecisionRecord
  kFeedbackIds = 2,  // feedback id -> event sequence (idempotency)
  kEvents = 3,       // big-endian sequence -> FeedbackRecord (the log that drives learning)
  kMeta = 4,         // schema version, router layouts, runtime arm changes
  kJoined = 5,       // decision id -> sequence of its first feedback event
};

struct StoreOptions {
  // fsync every write (power-loss durability). Off: a write is durable once in the OS page cache
  // via the WAL, which survives a process crash (kill -9) but not a power cut.
  bool sync = false;
};

// EventStore on RocksDB. Every write goes through the WAL before it returns; multi-key steps are
// one WriteBatch. Thread-safe.
class RocksStore final : public EventStore {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens or creates the store in `dir`. A store written by another schema version, or one
  // RocksDB reports as corrupt, fails with FailedPrecondition / DataLoss and a message saying
  // what to do; it is never reset.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksStore>> Open(
      const std::string& dir, const StoreOptions& options = {});
  ~RocksStore() override;

  absl::Status PutDecision(const Decision& decision) override;
  absl::StatusOr<Decision> GetDecision(absl::string_view decision_id) override;
  absl::StatusOr<AppendOutcome> AppendFeedback(FeedbackEvent* event) override;
  absl::Status AppendArmChange(const ArmChange& change) override;
  absl::Status ForEachDecision(const std::function<absl::Status(const Decision&)>& fn) override;
  absl::Status ForEachFeedback(
      const std::function<absl::Status(const FeedbackEvent&)>& fn) override;
  absl::Status ForEachArmChange(
      const std::function<absl::Status(const ArmChange&)>& fn) override;
  absl::StatusOr<std::optional<RouterLayout>> GetRouterLayout(absl::string_view router) override;
  absl::Status PutRouterLayout(const RouterLayout& layout) override;

  // Bytes in live SST files plus memtables: what the store occupies, for metrics.
  uint64_t ApproximateSizeBytes();

 private:
  RocksStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
             const StoreOptions& options, std::string dir);
  rocksdb::ColumnFamilyHandle* cf(ColumnFamily family) const {
    return handles_[static_cast<int>(family)];
  }
  absl::Status InitMeta();
  absl::StatusOr<uint64_t> LastSequence(ColumnFamily family, absl::string_view prefix);

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::WriteOptions write_options_;
  const std::string dir_;

  absl::Mutex append_mu_;
  uint64_t last_event_seq_ ABSL_GUARDED_BY(append_mu_) = 0;
  uint64_t last_arm_change_seq_ ABSL_GUARDED_BY(append_mu_) = 0;
};

// rocksdb::Status -> absl::Status, keeping the message and adding `context`.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context);

}  // namespace router::storage

#endif  // BANDIT_ROUTER_STORAGE_ROCKS_STORE_H_
