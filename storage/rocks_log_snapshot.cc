// RocksStore::OpenLogSnapshot: the decision and feedback logs read at one RocksDB snapshot.

#include <memory>

#include "storage/codec.h"
#include "storage/rocks_store.h"

namespace router::storage {
namespace {

absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

// Scans are sequential and long: read ahead, and keep their blocks out of the cache serving uses.
rocksdb::ReadOptions ScanOptions(const rocksdb::Snapshot* snapshot) {
  rocksdb::ReadOptions options;
  options.snapshot = snapshot;
  options.fill_cache = false;
  options.readahead_size = 2 << 20;
  return options;
}

template <typename Record>
class RocksCursor final : public LogCursor<Record> {
 public:
  using Decode = absl::StatusOr<Record> (*)(const rocksdb::Slice& key, const rocksdb::Slice& value);
  RocksCursor(std::unique_ptr<rocksdb::Iterator> it, uint64_t after, Decode decode,
              const char* what)
      : it_(std::move(it)), decode_(decode), what_(what) {
    it_->Seek(EncodeSequence(after + 1));
  }

  absl::StatusOr<bool> Next(Record* out) override {
    if (done_) return false;
    if (!it_->Valid()) {
      done_ = true;
      absl::Status s = FromRocks(it_->status(), what_);
      if (!s.ok()) return s;
      return false;
    }
    absl::StatusOr<Record> record = decode_(it_->key(), it_->value());
    if (!record.ok()) {
      done_ = true;
      return record.status();
    }
    *out = *std::move(record);
    it_->Next();
    return true;
  }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  const Decode decode_;
  const char* const what_;
  bool done_ = false;
};

absl::StatusOr<Decision> DecodeLogEntry(const rocksdb::Slice& key, const rocksdb::Slice& value) {
  return DecodeDecisionLog(View(key), View(value));
}

absl::StatusOr<FeedbackEvent> DecodeEvent(const rocksdb::Slice&, const rocksdb::Slice& value) {
  return DecodeFeedback(View(value));
}

class RocksLogSnapshot final : public LogSnapshot {
 public:
  RocksLogSnapshot(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* decision_log,
                   rocksdb::ColumnFamilyHandle* events)
      : db_(db), snapshot_(db->GetSnapshot()), decision_log_(decision_log), events_(events) {
    last_decision_ = LastKey(decision_log_);
    last_feedback_ = LastKey(events_);
  }
  ~RocksLogSnapshot() override { db_->ReleaseSnapshot(snapshot_); }

  uint64_t last_decision_sequence() const override { return last_decision_; }
  uint64_t last_feedback_sequence() const override { return last_feedback_; }

  std::unique_ptr<LogCursor<Decision>> Decisions(uint64_t after) override {
    return std::make_unique<RocksCursor<Decision>>(
        std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ScanOptions(snapshot_), decision_log_)),
        after, &DecodeLogEntry, "scanning the decision log at a snapshot");
  }
  std::unique_ptr<LogCursor<FeedbackEvent>> Feedback(uint64_t after) override {
    return std::make_unique<RocksCursor<FeedbackEvent>>(
        std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(ScanOptions(snapshot_), events_)),
        after, &DecodeEvent, "scanning feedback events at a snapshot");
  }

 private:
  uint64_t LastKey(rocksdb::ColumnFamilyHandle* family) const {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot_;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options, family));
    it->SeekToLast();
    return it->Valid() ? DecodeSequence(View(it->key())) : 0;
  }

  rocksdb::DB* const db_;
  const rocksdb::Snapshot* const snapshot_;
  rocksdb::ColumnFamilyHandle* const decision_log_;
  rocksdb::ColumnFamilyHandle* const events_;
  uint64_t last_decision_ = 0;
  uint64_t last_feedback_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LogSnapshot>> RocksStore::OpenLogSnapshot() {
  return std::make_unique<RocksLogSnapshot>(db_.get(), cf(ColumnFamily::kDecisionLog),
                                            cf(ColumnFamily::kEvents));
}

}  // namespace router::storage
