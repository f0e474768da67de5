#ifndef BANDIT_ROUTER_STORAGE_ROCKS_STORE_H_
#define BANDIT_ROUTER_STORAGE_ROCKS_STORE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
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
  kDecisionLog = 5,  // big-endian decision sequence -> DecisionLogRecord (order made, for expiry)
  kState = 6,        // checkpoints: "header", "router/<name>" -> RouterCheckpointRecord
};

struct StoreOptions {
  // Power-loss durability. Off: a write is acknowledged once it is in the WAL in the OS page
  // cache, which survives a process crash (kill -9) but not a power cut. On: additionally, replies
  // wait (WhenDurable) for an fsync of the WAL done by the store's syncer thread, one fsync for
  // every write that came in meanwhile (group commit); request threads never fsync.
  bool sync = false;
  // Read every SST block once at open to check its checksum, so a damaged file stops start-up
  // instead of failing the first request that reads it. Costs a full read of the store.
  bool verify_checksums = true;
};

// EventStore on RocksDB. Every write goes through the WAL before it returns; multi-key steps are
// one WriteBatch. Thread-safe.
class RocksStore final : public EventStore {
 public:
  // 2: decision log, feedback events carry their features, checkpoints.
  static constexpr int kSchemaVersion = 2;

  // Opens or creates the store in `dir`. A store written by another schema version, or one
  // RocksDB reports as corrupt, fails with FailedPrecondition / DataLoss and a message saying
  // what to do; it is never reset.
  [[nodiscard]] static absl::StatusOr<std::unique_ptr<RocksStore>> Open(
      const std::string& dir, const StoreOptions& options = {});
  ~RocksStore() override;

  absl::Status PutDecision(const Decision& decision) override;
  absl::StatusOr<Decision> GetDecision(absl::string_view decision_id) override;
  absl::StatusOr<AppendOutcome> AppendFeedback(FeedbackEvent* event) override;
  absl::StatusOr<bool> HasFeedbackId(absl::string_view feedback_id) override;
  uint64_t LastDecisionSequence() override { return last_decision_seq_.load(); }
  uint64_t LastFeedbackSequence() override;
  absl::Status AppendArmChange(const ArmChange& change) override;
  absl::Status ForEachArmChange(
      const std::function<absl::Status(const ArmChange&)>& fn) override;
  absl::StatusOr<absl::Time> FirstStart(absl::Time now) override;
  absl::StatusOr<std::optional<RouterLayout>> GetRouterLayout(absl::string_view router) override;
  absl::Status PutRouterLayout(const RouterLayout& layout) override;
  absl::Status ForEachDecisionAfter(
      uint64_t after, const std::function<absl::Status(const Decision&)>& fn) override;
  absl::Status ForEachFeedbackAfter(
      uint64_t after, const std::function<absl::Status(const FeedbackEvent&)>& fn) override;
  absl::StatusOr<std::vector<Decision>> ExpiredDecisions(absl::Time cutoff, uint64_t max_sequence,
                                                         size_t limit) override;
  absl::Status DeleteDecisions(const std::vector<Decision>& decisions) override;
  absl::StatusOr<std::optional<EngineCheckpoint>> ReadCheckpoint() override;
  absl::Status WriteCheckpoint(const EngineCheckpoint& checkpoint) override;
  void WhenDurable(std::function<void(absl::Status)> done) override;
  // A RocksDB snapshot with iterators that bypass the block cache (rocks_log_snapshot.cc), so a
  // long scan neither blocks writers nor evicts what serving reads.
  absl::StatusOr<std::unique_ptr<LogSnapshot>> OpenLogSnapshot() override;

  // A consistent copy of the whole store in `dir` (a RocksDB checkpoint: SST files hard-linked
  // where possible, the rest copied), which routerd can be started on. `dir` must not exist; its
  // parent must. AlreadyExists / FailedPrecondition otherwise.
  [[nodiscard]] absl::Status Backup(const std::string& dir);

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
  void SyncLoop();

  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  // Request-path writes: WAL, never an fsync (sync mode gets durability from the syncer).
  rocksdb::WriteOptions write_options_;
  // Rare writes off the request path (checkpoints, layouts): fsync'd in sync mode.
  rocksdb::WriteOptions rare_write_options_;
  const std::string dir_;
  const bool sync_;

  absl::Mutex append_mu_;
  uint64_t last_event_seq_ ABSL_GUARDED_BY(append_mu_) = 0;
  uint64_t last_arm_change_seq_ ABSL_GUARDED_BY(append_mu_) = 0;
  // Where the next expiry scan starts: everything before was deleted.
  uint64_t expired_through_ ABSL_GUARDED_BY(append_mu_) = 0;
  std::atomic<uint64_t> last_decision_seq_{0};

  // Group commit (sync mode only).
  absl::Mutex sync_mu_;
  std::vector<std::function<void(absl::Status)>> waiting_ ABSL_GUARDED_BY(sync_mu_);
  bool stopping_ ABSL_GUARDED_BY(sync_mu_) = false;
  std::thread syncer_;
};

// rocksdb::Status -> absl::Status, keeping the message and adding `context`.
absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context);

}  // namespace router::storage

#endif  // BANDIT_ROUTER_STORAGE_ROCKS_STORE_H_
