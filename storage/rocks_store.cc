#include "storage/rocks_store.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status_macros.h"
#include "rocksdb/write_batch.h"
#include "storage/codec.h"

namespace router::storage {
namespace {

constexpr char kSchemaKey[] = "schema_version";
constexpr char kLayoutPrefix[] = "layout/";
constexpr char kArmChangePrefix[] = "arm_change/";

const char* const kFamilyNames[] = {"default", "decisions",
                                    "feedback_ids", "events", "meta",
                                    "joined"};

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
  // Recover what the WAL holds, and refuse to silently drop a corrupt record in the middle.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
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
  RETURN_IF_ERROR(store->InitMeta());
  return store;
}

RocksStore::RocksStore(std::unique_ptr<rocksdb::DB> db,
                       std::vector<rocksdb::ColumnFamilyHandle*> handles,
                       const StoreOptions& options, std::string dir)
    : db_(std::move(db)), handles_(std::move(handles)), dir_(std::move(dir)) {
  write_options_.sync = options.sync;
  write_options_.disableWAL = false;
}

RocksStore::~RocksStore() {
  for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
  db_->Close().PermitUncheckedError();
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
    RETURN_IF_ERROR(FromRocks(db_->Put(write_options_, cf(ColumnFamily::kMeta), kSchemaKey,
                                       absl::StrCat(kSchemaVersion)),
                              "writing the schema version"));
  } else if (!s.ok()) {
    return absl::DataLossError(absl::StrCat("cannot read the schema version in ", dir_, ": ",
                                            s.ToString(), ". ", RecoveryHint(dir_)));
  } else {
    int version = 0;
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
  return FromRocks(db_->Put(write_options_, cf(ColumnFamily::kDecisions), decision.decision_id,
                            EncodeDecision(decision)),
                   "logging the decision");
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

  s = db_->Get(rocksdb::ReadOptions(), cf(ColumnFamily::kJoined), event->decision_id, &existing);
  if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "checking whether the decision was joined");
  event->first_for_decision = s.IsNotFound();

  event->sequence = last_event_seq_ + 1;
  const std::string seq_key = EncodeSequence(event->sequence);
  rocksdb::WriteBatch batch;
  if (event->first_for_decision) {
    RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kJoined), event->decision_id, seq_key),
                              "batching the joined mark"));
  }
  RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kEvents), seq_key, EncodeFeedback(*event)),
                            "batching the event"));
  RETURN_IF_ERROR(FromRocks(batch.Put(cf(ColumnFamily::kFeedbackIds), event->feedback_id, seq_key),
                            "batching the feedback id"));
  RETURN_IF_ERROR(FromRocks(db_->Write(write_options_, &batch), "logging the feedback"));
  last_event_seq_ = event->sequence;
  return AppendOutcome::kAppended;
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

absl::Status RocksStore::ForEachDecision(const std::function<absl::Status(const Decision&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kDecisions)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(Decision d, DecodeDecision(View(it->value())));
    RETURN_IF_ERROR(fn(d));
  }
  return FromRocks(it->status(), "scanning decisions");
}

absl::Status RocksStore::ForEachFeedback(
    const std::function<absl::Status(const FeedbackEvent&)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      db_->NewIterator(rocksdb::ReadOptions(), cf(ColumnFamily::kEvents)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    ASSIGN_OR_RETURN(FeedbackEvent e, DecodeFeedback(View(it->value())));
    RETURN_IF_ERROR(fn(e));
  }
  return FromRocks(it->status(), "scanning feedback events");
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
  return FromRocks(db_->Put(write_options_, cf(ColumnFamily::kMeta),
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
