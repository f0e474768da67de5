#include "storage/rocks_store.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "storage/checkpoint_codec.h"
#include "storage/codec.h"

namespace router::storage {
namespace {

constexpr char kSchemaKey[] = "schema_version";
constexpr char kLayoutPrefix[] = "layout/";
constexpr char kArmChangePrefix[] = "arm_change/";
// The last decision sequence expiry has deleted through: with every decision expired the log is
// empty, and this keeps new decisions from reusing old sequences.
constexpr char kExpiredThroughKey[] = "decisions_expired_through";
constexpr char kFirstStartKey[] = "first_start_ms";
constexpr char kCheckpointHeaderKey[] = "header";
constexpr char kRouterCheckpointPrefix[] = "router/";

// Indexed by ColumnFamily.
const char* const kFamilyNames[] = {"default", "decisions",    "feedback_ids", "events",
                                    "meta",    "decision_log", "state"};

// Debian's Abseil has its own string_view, distinct from std::string_view.
absl::string_view View(const rocksdb::Slice& s) { return absl::string_view(s.data(), s.size()); }

std::string RecoveryHint(const std::string& dir) {
  return absl::StrFormat(
      "The data dir %s is damaged or was not written by routerd. Restore it from a backup "
      "(routerctl backup), or move it aside to start with an empty store; routerd never resets "
      "it by itself.",
      dir);
}

}  // namespace

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat(context, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsInvalidArgument()) return absl::FailedPreconditionError(msg);
  return absl::InternalError(msg);
}

absl::StatusOr<std::unique_ptr<RocksStore>> RocksStore::Open(const std::string& dir,
                                                             const StoreOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrFormat("cannot create data dir %s: %s", dir, ec.message()));
  }
  const bool existed = std::filesystem::exists(std::filesystem::path(dir) / "CURRENT");

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.paranoid_checks = true;
  // Replay the whole WAL: a torn last record (a power cut mid-write of a write that was never
  // acknowledged in sync mode) is tolerated, a corrupt record anywhere else fails the open
  // instead of silently dropping the acknowledged writes after it (kPointInTimeRecovery would).
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kTolerateCorruptedTailRecords;
  rocksdb::ColumnFamilyOptions cf_options;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : kFamilyNames) descriptors.emplace_back(name, cf_options);

  if (existed) {
    // A store from a newer or foreign program may have families we do not know; say so.
    std::vector<std::string> families;
    auto s = rocksdb::DB::ListColumnFamilies(db_options, dir, &families);
    if (!s.ok()) {
      return absl::DataLossError(absl::StrCat("cannot read the store in ", dir, ": ",
                                              s.ToString(), ". ", RecoveryHint(dir)));
    }
    for (const std::string& f : families) {
      bool known = false;
      for (const char* name : kFamilyNames) known = known || f == name;
      if (!known) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "the store in %s has an unknown column family '%s'. %s", dir, f, RecoveryHint(dir)));
      }
    }
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(db_options, dir, descriptors, &handles, &raw);
  if (!s.ok()) {
    return absl::DataLossError(
        absl::StrCat("cannot open the store in ", dir, ": ", s.ToString(), ". ", RecoveryHint(dir)));
  }
  std::unique_ptr<RocksStore> store(
      new RocksStore(std::unique_ptr<rocksdb::DB>(raw), std::move(handles), options, dir));
  if (existed && options.verify_checksums) {
    if (auto v = store->db_->VerifyChecksum(); !v.ok()) {
      return absl::DataLossError(absl::StrCat("the store in ", dir, " fails its checksums: ",
                                              v.ToString(), ". ", RecoveryHint(dir)));
    }
  }
  RETURN_IF_ERROR(store->InitMeta());
  if (store->sync_) store->syncer_ = std::thread([s = store.get()] { s->SyncLoop(); });
  return store;
}

RocksStore::RocksStore(std::unique_ptr<rocksdb::DB> db,
                       std::vector<rocksdb::ColumnFamilyHandle*> handles,
                       const StoreOptions& options, std::string dir)
    : db_(std::move(db)), handles_(std::move(handles)), dir_(std::move(dir)), sync_(options.sync) {
  write_options_.sync = false;
  write_options_.disableWAL = false;
  rare_write_options_.sync = options.sync;
}

RocksStore::~RocksStore() {
  if (syncer_.joinable()) {
    {
      absl::MutexLock lock(&sync_mu_);
      stopping_ = true;
    }
    syncer_.join();
  }
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  db_->Close().PermitUncheckedError();
}

void RocksStore::WhenDurable(std::function<void(absl::Status)> done) {
  if (!sync_) {
    done(absl::OkStatus());
    return;
  }
  absl::MutexLock lock(&sync_mu_);
  waiting_.push_back(std::move(done));
}

void RocksStore::SyncLoop() {
  for (;;) {
    std::vector<std::function<void(absl::Status)>> batch;
    {
      absl::MutexLock lock(&sync_mu_);
      sync_mu_.Await(absl::Condition(
          +[](RocksStore* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
            return s->stopping_ || !s->waiting_.empty();
          },
          this));
      if (waiting_.empty() && stopping_) return;
      batch.swap(waiting_);
    }
    // Every write whose caller queued a callback returned before the swap above, so it is in
    // the WAL file and this one fsync covers all of them.
    const absl::Status status = FromRocks(db_->SyncWAL(), "fsync of the write-ahead log");
    for (auto& done : batch) done(status);
  }
}

absl::Status RocksStore::InitMeta() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kMeta), kSchemaKey, &value);
  if (s.IsNotFound()) {
    // A store with data but no schema version was not written by us.
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kDecisions)));
    it->SeekToFirst();
    if (it->Valid()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the store in ", dir_, " has decisions but no schema version. ",
                       RecoveryHint(dir_)));
    }
    RETURN_IF_ERROR(FromRocks(db_->Put(rare_write_options_, cf(ColumnFamily::kMeta), kSchemaKey,
                                       absl::StrCat(kSchemaVersion)),
                              "writing the schema version"));
  } else if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("cannot read the schema version in ", dir_, ": ",
                                            s.ToString(), ". ", RecoveryHint(dir_)));
  } else {
    int version = 0;
    if (absl::SimpleAtoi(value, &version) && version == 1) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the store in %s has schema version 1, written before checkpoints and expiry (its "
          "feedback events do not carry their features, so they cannot be replayed once "
          "decisions expire). This routerd reads version %d only: start on a fresh --data_dir, "
          "or keep running the routerd that wrote it",
          dir_, kSchemaVersion));
    }
    if (!absl::SimpleAtoi(value, &version) || version != kSchemaVersion) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the store in %s has schema version '%s'; this routerd reads version %d only. Use the "
          "routerd that wrote it, or start on a fresh --data_dir",
          dir_, value, kSchemaVersion));
    }
  }
  absl::MutexLock lock(&append_mu_);
  ASSIGN_OR_RETURN(last_event_seq_, LastSequence(ColumnFamily::kEvents, ""));
  ASSIGN_OR_RETURN(last_arm_change_seq_, LastSequence(ColumnFamily::kMeta, kArmChangePrefix));
  ASSIGN_OR_RETURN(const uint64_t last_decision, LastSequence(ColumnFamily::kDecisionLog, ""));
  std::string expired;
  s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kMeta), kExpiredThroughKey, &expired);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "reading the expiry mark");
  expired_through_ = s.ok() ? DecodeSequence(expired) : 0;
  last_decision_seq_.store(std::max(last_decision, expired_through_));
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> RocksStore::LastSequence(ColumnFamily family, absl::string_view prefix) {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), cf(family)));
  // The largest key with this prefix sorts just before prefix + 0xff...
  const std::string upper = absl::StrCat(prefix, std::string(9, '\xff'));
  it->SeekForPrev(upper);
  RETURN_IF_ERROR(FromRocks(it->status(), "scanning for the last sequence"));
  if (!it->Valid() || !absl::StartsWith(View(it->key()), prefix)) return 0;
  return DecodeSequence(View(it->key()).substr(prefix.size()));
}

absl::Status RocksStore::PutDecision(const Decision& decision) {
  // No lock: concurrent decisions are written by concurrent batches (RocksDB groups them), and
  // the log may briefly have a gap where a later sequence landed first. Readers that need a
  // gap-free prefix (checkpoints) hold off PutDecision while they read LastDecisionSequence.
  Decision d = decision;
  d.sequence = last_decision_seq_.fetch_add(1) + 1;
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(
      batch.Put(cf(ColumnFamily::kDecisions), d.decision_id, EncodeDecision(d)),
      "batching the decision"));
  RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kDecisionLog), EncodeSequence(d.sequence),
                                      EncodeDecisionLog(d)),
                            "batching the decision log entry"));
  return FromRocks(db_->Write(write_options_, &batch), "logging the decision");
}

absl::StatusOr<Decision> RocksStore::GetDecision(absl::string_view decision_id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kDecisions),
                    rocksdb::Slice(decision_id.data(), decision_id.size()), &value);
  if (s.IsNotFound()) {
    return absl::NotFoundError(absl::StrCat("decision '", decision_id, "' not found"));
  }
  RETURN_IF_ERROR(FromRocks(s, "reading a decision"));
  return DecodeDecision(value);
}

absl::StatusOr<AppendOutcome> RocksStore::AppendFeedback(FeedbackEvent* event) {
  absl::MutexLock lock(&append_mu_);
  std::string existing;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kFeedbackIds), event->feedback_id,
                    &existing);
  if (s.ok()) return AppendOutcome::kDuplicate;
  if (!s.IsNotFound()) return FromRocks(s, "checking the feedback id");

  // Read under the lock: expiry deletes under it too, and two events for one decision must not
  // both bump the same old feedback counts.
  ASSIGN_OR_RETURN(Decision decision, GetDecision(event->decision_id));
  JoinFeedbackToDecision(decision, *event);
  event->sequence = last_event_seq_ + 1;
  const std::string seq_key = EncodeSequence(event->sequence);
  rocksdb::WriteBatch batch;
  RETURN_IF_ERROR(FromRocks(
      batch.Put(cf(ColumnFamily::kDecisions), decision.decision_id, EncodeDecision(decision)),
      "batching the decision's feedback counts"));
  RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kEvents), seq_key, EncodeFeedback(*event)),
                            "batching the event"));
  RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kFeedbackIds), event->feedback_id, seq_key),
                            "batching the feedback id"));
  RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch), "logging the feedback"));
  last_event_seq_ = event->sequence;
  return AppendOutcome::kAppended;
}

uint64_t RocksStore::LastFeedbackSequence() {
  absl::MutexLock lock(&append_mu_);
  return last_event_seq_;
}

absl::StatusOr<bool> RocksStore::HasFeedbackId(absl::string_view feedback_id) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kFeedbackIds),
                    rocksdb::Slice(feedback_id.data(), feedback_id.size()), &value);
  if (s.IsNotFound()) return false;
  RETURN_IF_ERROR(FromRocks(s, "checking a feedback id"));
  return true;
}

absl::Status RocksStore::AppendArmChange(const ArmChange& change) {
  absl::MutexLock lock(&append_mu_);
  const uint64_t seq = last_arm_change_seq_ + 1;
  RETURN_IF_ERROR(FromRocks(
      db_->Put(write_options_, cf(ColumnFamily::kMeta),
               absl::StrCat(kArmChangePrefix, EncodeSequence(seq)), EncodeArmChange(change, seq)),
      "logging the arm change"));
  last_arm_change_seq_ = seq;
  return absl::OkStatus();
}

absl::Status RocksStore::ForEachFeedbackAfter(
    uint64_t after, const std::function<absl::Status(const FeedbackEvent&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kEvents)));
  for (it->Seek(EncodeSequence(after + 1)); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(FeedbackEvent e, DecodeFeedback(View(it->value())));
    RETURN_IF_ERROR(fn(e));
  }
  return FromRocks(it->status(), "scanning feedback events");
}

absl::Status RocksStore::ForEachDecisionAfter(
    uint64_t after, const std::function<absl::Status(const Decision&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kDecisionLog)));
  for (it->Seek(EncodeSequence(after + 1)); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Decision d, DecodeDecisionLog(View(it->key()), View(it->value())));
    RETURN_IF_ERROR(fn(d));
  }
  return FromRocks(it->status(), "scanning the decision log");
}

absl::StatusOr<std::vector<Decision>> RocksStore::ExpiredDecisions(absl::Time cutoff,
                                                                   uint64_t max_sequence,
                                                                   size_t limit) {
  uint64_t start = 0;
  {
    absl::MutexLock lock(&append_mu_);
    start = expired_through_;
  }
  std::vector<Decision> out;
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kDecisionLog)));
  for (it->Seek(EncodeSequence(start + 1)); it->Valid() && out.size() < limit; it->Next()) {
    ASSIGN_OR_RETURN(Decision entry, DecodeDecisionLog(View(it->key()), View(it->value())));
    if (entry.sequence > max_sequence || entry.timestamp >= cutoff) break;
    auto full = GetDecision(entry.decision_id);
    if (absl::IsNotFound(full.status())) {
      // The record is gone but its log entry is not: drop the entry with the others.
      out.push_back(entry);
      continue;
    }
    if (!full.ok()) return full.status();
    full->sequence = entry.sequence;
    out.push_back(*std::move(full));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scanning the decision log for expired decisions"));
  return out;
}

absl::Status RocksStore::DeleteDecisions(const std::vector<Decision>& decisions) {
  if (decisions.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  uint64_t through = 0;
  for (const Decision& d : decisions) {
    RETURN_IF_ERROR(FromRocks(batch.Delete(cf(ColumnFamily::kDecisions), d.decision_id),
                              "batching a decision deletion"));
    RETURN_IF_ERROR(FromRocks(batch.Delete(cf(ColumnFamily::kDecisionLog),
                                           EncodeSequence(d.sequence)),
                              "batching a decision log deletion"));
    through = std::max(through, d.sequence);
  }
  absl::MutexLock lock(&append_mu_);
  through = std::max(expired_through_, through);
  RETURN_IF_ERROR(FromRocks(
      batch.Put(cf(ColumnFamily::kMeta), kExpiredThroughKey, EncodeSequence(through)),
      "batching the expiry mark"));
  RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch), "deleting expired decisions"));
  expired_through_ = through;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<EngineCheckpoint>> RocksStore::ReadCheckpoint() {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kState), kCheckpointHeaderKey,
                    &value);
  if (s.IsNotFound()) return std::optional<EngineCheckpoint>();
  if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("cannot read the checkpoint in ", dir_, ": ",
                                            s.ToString()));
  }
  std::vector<std::string> names;
  ASSIGN_OR_RETURN(EngineCheckpoint checkpoint, DecodeCheckpointHeader(value, &names));
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kState)));
  for (it->Seek(kRouterCheckpointPrefix);
       it->Valid() && absl::StartsWith(View(it->key()), kRouterCheckpointPrefix); it->Next()) {
    auto router = DecodeRouterCheckpoint(View(it->value()));
    if (!router.ok()) {
      return absl::DataLossError(absl::StrCat(router.status().message(), " (key ",
                                              View(it->key()), ")"));
    }
    checkpoint.routers.push_back(*std::move(router));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading router checkpoints"));
  for (const std::string& name : names) {
    bool found = false;
    for (const RouterCheckpoint& r : checkpoint.routers) found = found || r.state.router == name;
    if (!found) {
      return absl::DataLossError(absl::StrFormat(
          "the checkpoint header lists router '%s' but its record is missing", name));
    }
  }
  return std::optional<EngineCheckpoint>(std::move(checkpoint));
}

absl::Status RocksStore::WriteCheckpoint(const EngineCheckpoint& checkpoint) {
  rocksdb::WriteBatch batch;
  for (const RouterCheckpoint& r : checkpoint.routers) {
    RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kState),
                                        absl::StrCat(kRouterCheckpointPrefix, r.state.router),
                                        EncodeRouterCheckpoint(r)),
                              "batching a router checkpoint"));
  }
  RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kState), kCheckpointHeaderKey,
                                      EncodeCheckpointHeader(checkpoint)),
                            "batching the checkpoint header"));
  return FromRocks(db_->Write(rare_write_options_, &batch), "writing a checkpoint");
}

absl::Status RocksStore::Backup(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (dir.empty()) return absl::InvalidArgumentError("backup directory is required");
  if (fs::exists(dir, ec)) {
    return absl::AlreadyExistsError(
        absl::StrFormat("backup directory %s already exists; give a new path", dir));
  }
  const fs::path parent = fs::path(dir).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    return absl::FailedPreconditionError(
        absl::StrFormat("the parent of backup directory %s does not exist", dir));
  }
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "starting a backup"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), absl::StrCat("backing up to ", dir));
}

absl::Status RocksStore::ForEachArmChange(
    const std::function<absl::Status(const ArmChange&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kMeta)));
  for (it->Seek(kArmChangePrefix);
       it->Valid() && absl::StartsWith(View(it->key()), kArmChangePrefix); it->Next()) {
    ASSIGN_OR_RETURN(ArmChange c, DecodeArmChange(View(it->value())));
    RETURN_IF_ERROR(fn(c));
  }
  return FromRocks(it->status(), "scanning arm changes");
}

absl::StatusOr<absl::Time> RocksStore::FirstStart(absl::Time now) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kMeta), kFirstStartKey, &value);
  if (s.ok()) {
    int64_t ms = 0;
    if (!absl::SimpleAtoi(value, &ms)) {
      return absl::DataLossError(absl::StrCat("stored first start time '", value,
                                              "' is not a number"));
    }
    return absl::FromUnixMillis(ms);
  }
  if (!s.IsNotFound()) return FromRocks(s, "reading the first start time");
  RETURN_IF_ERROR(FromRocks(db_->Put(rare_write_options_, cf(ColumnFamily::kMeta),
                                     kFirstStartKey, absl::StrCat(absl::ToUnixMillis(now))),
                            "recording the first start time"));
  return now;
}

absl::StatusOr<std::optional<RouterLayout>> RocksStore::GetRouterLayout(absl::string_view router) {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kMeta),
                    absl::StrCat(kLayoutPrefix, router), &value);
  if (s.IsNotFound()) return std::optional<RouterLayout>();
  RETURN_IF_ERROR(FromRocks(s, "reading a router layout"));
  ASSIGN_OR_RETURN(RouterLayout layout, DecodeLayout(value));
  return std::optional<RouterLayout>(layout);
}

absl::Status RocksStore::PutRouterLayout(const RouterLayout& layout) {
  return FromRocks(db_->Put(rare_write_options_, cf(ColumnFamily::kMeta),
                            absl::StrCat(kLayoutPrefix, layout.router), EncodeLayout(layout)),
                   "writing a router layout");
}

uint64_t RocksStore::ApproximateSizeBytes() {
  uint64_t total = 0;
  for (auto* handle : handles_) {
    uint64_t v = 0;
    if (db_->GetIntProperty(handle, rocksdb::DB::Properties::kLiveSstFilesSize, &v)) total += v;
  }
  uint64_t memtables = 0;
  if (db_->GetIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables)) {
    total += memtables;
  }
  return total;
}

}  // namespace router::storage
