// Durability with the real binary: routerd is killed with SIGKILL at random (seeded) moments
// while two clients drive Route + Feedback, and restarted, several times. At the end every
// acknowledged decision is in the store, every acknowledged feedback id is in the event log
// exactly once, and the model routerd recovered (checkpoint + replay) equals a model rebuilt
// here from the event log alone. Then damaged data dirs must stop routerd with a message.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/router.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "router/v1/router.grpc.pb.h"
#include "services/config.h"
#include "storage/rocks_store.h"
#include "tests/testing/routerd_process.h"
#include "tests/testing/temp_dir.h"

namespace router {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RouterdProcess;
using testing::TempDir;

constexpr char kConfig[] = R"pb(
  routers {
    name: "crash"
    features { dim: 16 }
    policy { epsilon: 0.1 gamma: 0.97 }
    arms { id: "a" input_price_per_mtok: 1 output_price_per_mtok: 2 }
    arms { id: "b" input_price_per_mtok: 3 output_price_per_mtok: 6 quality_prior: 0.6 }
    arms { id: "c" input_price_per_mtok: 0.5 output_price_per_mtok: 1 }
  }
  storage { checkpoint_every_events: 50 checkpoint_every_seconds: 1 }
)pb";

constexpr int kRounds = 6;
constexpr uint32_t kSeed = 20240611;

// What the clients were told. An RPC that failed (the server died) has an unknown outcome: it
// may or may not be in the log, and is sent again after the restart.
struct Ledger {
  absl::Mutex mu;
  std::set<std::string> decisions ABSL_GUARDED_BY(mu);
  std::map<std::string, v1::FeedbackRequest> acked ABSL_GUARDED_BY(mu);
  std::vector<v1::FeedbackRequest> unknown ABSL_GUARDED_BY(mu);
  int duplicates_confirmed ABSL_GUARDED_BY(mu) = 0;
};

void SetDeadline(grpc::ClientContext* ctx) {
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

// Sends one feedback request and books the outcome.
void SendFeedback(v1::FeedbackService::Stub& stub, const v1::FeedbackRequest& f, Ledger& ledger,
                  bool retry) {
  grpc::ClientContext ctx;
  SetDeadline(&ctx);
  v1::FeedbackResponse r;
  const grpc::Status status = stub.Feedback(&ctx, f, &r);
  absl::MutexLock lock(&ledger.mu);
  if (!status.ok()) {
    ledger.unknown.push_back(f);
    return;
  }
  const bool known = ledger.acked.count(f.feedback_id()) > 0;
  // An id acknowledged before must come back as a duplicate; a fresh one must be applied.
  if (known) {
    EXPECT_TRUE(r.duplicate()) << f.feedback_id();
    ++ledger.duplicates_confirmed;
  } else if (!retry) {
    EXPECT_FALSE(r.duplicate()) << f.feedback_id();
  }
  ledger.acked.emplace(f.feedback_id(), f);
}

void Drive(const std::string& address, int client, int round, Ledger& ledger,
           const std::atomic<bool>& stop) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto router = v1::RouterService::NewStub(channel);
  auto feedback = v1::FeedbackService::NewStub(channel);
  std::mt19937 rng(kSeed + 100 * round + client);
  for (int n = 0; !stop.load(); ++n) {
    v1::RouteRequest q;
    q.set_router("crash");
    q.set_text(absl::StrCat("question ", rng() % 50, " on topic ", rng() % 7));
    v1::RouteResponse routed;
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    if (!router->Route(&ctx, q, &routed).ok()) {
      absl::SleepFor(absl::Milliseconds(5));
      continue;
    }
    {
      absl::MutexLock lock(&ledger.mu);
      ledger.decisions.insert(routed.decision_id());
    }
    v1::FeedbackRequest f;
    f.set_decision_id(routed.decision_id());
    f.set_feedback_id(absl::StrCat("r", round, "-c", client, "-", n));
    f.set_judge_score((rng() % 101) / 100.0);
    if (n % 2 == 0) f.set_cost_usd((rng() % 100) / 1e4);
    if (n % 3 == 0) f.set_latency_ms(50 + rng() % 500);
    SendFeedback(*feedback, f, ledger, /*retry=*/false);
    if (n % 5 == 4) {  // a pipeline retrying something it already sent
      v1::FeedbackRequest again;
      {
        absl::MutexLock lock(&ledger.mu);
        auto it = ledger.acked.begin();
        std::advance(it, rng() % ledger.acked.size());
        again = it->second;
      }
      SendFeedback(*feedback, again, ledger, /*retry=*/true);
    }
  }
}

// Re-sends every request whose outcome was unknown; with the server up, each now succeeds,
// applied (it never made it into the log) or duplicate (it did).
void ResendUnknown(const std::string& address, Ledger& ledger) {
  std::vector<v1::FeedbackRequest> pending;
  {
    absl::MutexLock lock(&ledger.mu);
    pending.swap(ledger.unknown);
  }
  auto stub = v1::FeedbackService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  for (const v1::FeedbackRequest& f : pending) SendFeedback(*stub, f, ledger, /*retry=*/true);
  absl::MutexLock lock(&ledger.mu);
  EXPECT_TRUE(ledger.unknown.empty()) << "feedback failed with the server up";
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_path_ = dir_.Sub("config.textproto");
    std::ofstream(config_path_) << kConfig;
    data_ = dir_.Sub("data");
  }
  std::vector<std::string> Flags() const { return {"--config", config_path_}; }

  TempDir dir_;
  std::string config_path_;
  std::string data_;
};

TEST_F(CrashTest, KilledAtRandomMomentsLosesNothingAndAppliesNothingTwice) {
  Ledger ledger;
  std::mt19937 rng(kSeed);
  for (int round = 0; round < kRounds; ++round) {
    const std::string log = dir_.Sub(absl::StrCat("round", round, ".log"));
    auto routerd = RouterdProcess::Start(data_, log, Flags());
    ASSERT_TRUE(routerd.ok()) << routerd.status();
    ResendUnknown(routerd->address(), ledger);
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 2; ++c) {
      clients.emplace_back(Drive, routerd->address(), c, round, std::ref(ledger), std::cref(stop));
    }
    absl::SleepFor(absl::Milliseconds(300 + rng() % 1700));
    routerd->Kill9();  // mid-traffic, possibly mid-checkpoint
    stop = true;
    for (auto& t : clients) t.join();
  }

  auto routerd = RouterdProcess::Start(data_, dir_.Sub("final.log"), Flags());
  ASSERT_TRUE(routerd.ok()) << routerd.status();
  ResendUnknown(routerd->address(), ledger);
  v1::GetModelResponse recovered;
  {
    auto admin = v1::AdminService::NewStub(
        grpc::CreateChannel(routerd->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::GetModelRequest request;
    request.set_router("crash");
    ASSERT_TRUE(admin->GetModel(&ctx, request, &recovered).ok());
  }
  EXPECT_EQ(routerd->Terminate(), 0) << ReadFile(dir_.Sub("final.log"));

  absl::MutexLock lock(&ledger.mu);
  ASSERT_GT(ledger.acked.size(), 50u) << "the clients hardly got through";
  EXPECT_GT(ledger.duplicates_confirmed, 0);

  // Read what the store holds, as routerd left it.
  auto store = storage::RocksStore::Open(data_);
  ASSERT_TRUE(store.ok()) << store.status();
  for (const std::string& id : ledger.decisions) {
    EXPECT_TRUE((*store)->GetDecision(id).ok()) << "acknowledged decision lost: " << id;
  }
  std::map<std::string, int> logged;
  std::vector<FeedbackEvent> events;
  ASSERT_TRUE((*store)
                  ->ForEachFeedbackAfter(0, [&](const FeedbackEvent& e) {
                    ++logged[e.feedback_id];
                    events.push_back(e);
                    return absl::OkStatus();
                  })
                  .ok());
  for (const auto& [id, times] : logged) {
    EXPECT_EQ(times, 1) << "feedback " << id << " logged " << times << " times";
    EXPECT_TRUE(ledger.acked.count(id)) << "logged feedback " << id << " was never sent";
  }
  for (const auto& [id, request] : ledger.acked) {
    EXPECT_EQ(logged.count(id), 1u) << "acknowledged feedback lost: " << id;
  }
  std::map<std::string, uint64_t> decisions_per_arm;
  ASSERT_TRUE((*store)
                  ->ForEachDecisionAfter(0,
                                         [&](const Decision& d) {
                                           ++decisions_per_arm[d.arm];
                                           return absl::OkStatus();
                                         })
                  .ok());

  // The reference: a fresh router that learns every logged event in log order.
  v1::ServerConfig config;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(kConfig, &config));
  auto specs = services::ToRouterSpecs(config);
  ASSERT_TRUE(specs.ok());
  Router reference((*specs)[0]);
  for (const FeedbackEvent& e : events) {
    Decision d;
    d.decision_id = e.decision_id;
    d.arm = e.arm;
    d.features = e.features;
    ASSERT_TRUE(reference.Learn(d, e.signals).ok());
  }
  const RouterState expected = reference.ExportState();

  EXPECT_EQ(recovered.last_event_sequence(), events.size());
  EXPECT_EQ(recovered.feedback_events(), events.size());
  ASSERT_EQ(recovered.arms_size(), static_cast<int>(expected.arms.size()));
  for (int a = 0; a < recovered.arms_size(); ++a) {
    const v1::ArmModel& got = recovered.arms(a);
    const ArmState& want = expected.arms[a];
    ASSERT_EQ(got.arm(), want.arm);
    EXPECT_EQ(got.decisions(), decisions_per_arm[want.arm]) << want.arm;
    const RidgeState* models[] = {&want.quality, &want.cost, &want.latency, &want.energy};
    for (int o = 0; o < 4; ++o) {
      const v1::ObjectiveModel& m = got.objectives(o);
      EXPECT_EQ(m.observations(), models[o]->observations) << want.arm << " " << m.objective();
      ASSERT_EQ(m.theta_size(), static_cast<int>(models[o]->theta.size()));
      ASSERT_EQ(m.a_inv_lower_size(), static_cast<int>(models[o]->a_inv_lower.size()));
      for (int k = 0; k < m.theta_size(); ++k) {
        EXPECT_NEAR(m.theta(k), models[o]->theta[k], 1e-9) << want.arm << " " << m.objective();
      }
      for (int k = 0; k < m.a_inv_lower_size(); ++k) {
        EXPECT_NEAR(m.a_inv_lower(k), models[o]->inv_scale * models[o]->a_inv_lower[k], 1e-9)
            << want.arm << " " << m.objective();
      }
    }
  }
  std::cout << "crash test: " << ledger.decisions.size() << " decisions and "
            << ledger.acked.size() << " feedback ids acknowledged, " << events.size()
            << " events logged, " << ledger.duplicates_confirmed << " duplicates refused"
            << std::endl;
}

// Damaged data dirs: routerd exits non-zero and says what is wrong; it never resets the store.
class CorruptStoreTest : public CrashTest {
 protected:
  // A data dir with flushed SST files (a backup flushes) and one whose data is only in the WAL.
  void SetUp() override {
    CrashTest::SetUp();
    auto routerd = RouterdProcess::Start(data_, dir_.Sub("setup.log"), Flags());
    ASSERT_TRUE(routerd.ok()) << routerd.status();
    Ledger ledger;
    std::atomic<bool> stop{false};
    std::thread client(Drive, routerd->address(), 0, 0, std::ref(ledger), std::cref(stop));
    absl::SleepFor(absl::Milliseconds(300));
    auto admin = v1::AdminService::NewStub(
        grpc::CreateChannel(routerd->address(), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    SetDeadline(&ctx);
    v1::BackupRequest request;
    request.set_dir(dir_.Sub("flushed"));
    v1::BackupResponse response;
    ASSERT_TRUE(admin->Backup(&ctx, request, &response).ok());
    absl::SleepFor(absl::Milliseconds(300));  // more writes, in the WAL only
    stop = true;
    client.join();
    routerd->Kill9();
  }

  // A private copy of `source` to damage (backups share SST files by hard link).
  std::string CopyOf(const std::string& source, const std::string& name) {
    const std::string to = dir_.Sub(name);
    fs::copy(source, to, fs::copy_options::recursive);
    return to;
  }

  static std::string FileEndingWith(const std::string& dir, const std::string& suffix,
                                    bool largest = true) {
    std::string best;
    uintmax_t best_size = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.size() < suffix.size() ||
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        continue;
      }
      if (best.empty() || (largest && entry.file_size() > best_size)) {
        best = entry.path().string();
        best_size = entry.file_size();
      }
    }
    return best;
  }

  static void Garble(const std::string& path) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    ASSERT_GT(size, 64) << path;
    std::mt19937 rng(kSeed);
    for (int i = 0; i < 16; ++i) {  // bytes in the middle, where records and blocks are
      f.seekp(size / 4 + static_cast<std::streamoff>(rng() % (size / 2)));
      f.put(static_cast<char>(rng()));
    }
  }

  void ExpectRefused(const std::string& data, const std::string& what) {
    const std::string log = dir_.Sub(what + ".log");
    auto rc = RouterdProcess::RunToExit(data, log, Flags());
    ASSERT_TRUE(rc.ok()) << rc.status();
    const std::string out = ReadFile(log);
    EXPECT_NE(*rc, 0) << what << ": " << out;
    EXPECT_NE(out.find("routerd: cannot start"), std::string::npos) << what << ": " << out;
    EXPECT_NE(out.find("Restore it from a backup"), std::string::npos) << what << ": " << out;
    EXPECT_NE(out.find(data), std::string::npos) << what << ": the message names the dir";
  }
};

TEST_F(CorruptStoreTest, DamagedFilesStopRouterdWithAClearMessage) {
  const std::string flushed = dir_.Sub("flushed");
  // The intact copies start, so the failures below are the damage's doing.
  {
    auto ok = RouterdProcess::Start(CopyOf(flushed, "intact"), dir_.Sub("intact.log"), Flags());
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_EQ(ok->Terminate(), 0);
  }
  {
    const std::string d = CopyOf(flushed, "current");
    std::ofstream(d + "/CURRENT", std::ios::trunc) << "MANIFEST-999999\n";
    ExpectRefused(d, "garbled CURRENT");
  }
  {
    const std::string d = CopyOf(flushed, "manifest");
    std::string m;
    for (const auto& e : fs::directory_iterator(d)) {
      if (e.path().filename().string().rfind("MANIFEST-", 0) == 0) m = e.path().string();
    }
    ASSERT_FALSE(m.empty());
    fs::resize_file(m, fs::file_size(m) / 2);
    ExpectRefused(d, "truncated MANIFEST");
  }
  {
    const std::string d = CopyOf(flushed, "sst_truncated");
    const std::string sst = FileEndingWith(d, ".sst");
    ASSERT_FALSE(sst.empty());
    fs::resize_file(sst, fs::file_size(sst) / 2);
    ExpectRefused(d, "truncated SST");
  }
  {
    const std::string d = CopyOf(flushed, "sst_garbled");
    const std::string sst = FileEndingWith(d, ".sst");
    ASSERT_FALSE(sst.empty());
    Garble(sst);
    ExpectRefused(d, "garbled SST");
  }
  {
    // The killed server's own dir: its newest writes are only in the write-ahead log.
    const std::string d = CopyOf(data_, "wal_garbled");
    const std::string wal = FileEndingWith(d, ".log");
    ASSERT_FALSE(wal.empty());
    Garble(wal);
    ExpectRefused(d, "garbled WAL");
  }
}

}  // namespace
}  // namespace router
