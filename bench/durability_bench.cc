// Durability numbers for docs/durability.md: feedback ingest rate with the WAL (sync off, and
// sync on with group commit at several client concurrencies), and recovery time for a large log
// with and without a recent checkpoint. A tool, not a test: nothing is asserted.
//
//   durability_bench ingest DIR            DIR must not exist; removed afterwards
//   durability_bench recovery DIR [EVENTS] builds a log of EVENTS (default 1,000,000) in DIR
//                                          (kept, reused if present), then times recoveries

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/clock.h"
#include "core/engine.h"
#include "services/config.h"
#include "storage/rocks_store.h"

namespace router {
namespace {

namespace fs = std::filesystem;

// The demo router: d = 64, three arms.
std::vector<RouterSpec> Specs() { return *services::ToRouterSpecs(services::DefaultConfig()); }

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, std::string(s.message()).c_str());
    std::exit(1);
  }
}

std::vector<std::string> MakeDecisions(Engine& engine, int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    RouteQuery q;
    q.router = "default";
    q.text = absl::StrCat("benchmark question ", i, " about topic ", i % 97);
    auto r = engine.Route(q);
    Check(r.status(), "route");
    ids.push_back(r->decision.decision_id);
  }
  return ids;
}

FeedbackEvent Event(const std::string& decision, uint64_t n) {
  FeedbackEvent e;
  e.decision_id = decision;
  e.feedback_id = absl::StrCat("bench-", n);
  e.signals.judge_score = (n % 11) / 10.0;
  e.signals.cost_usd = 0.0001 * (n % 7);
  return e;
}

// Events per second with `clients` threads, each waiting for its acknowledgement (WhenDurable)
// before sending the next, like a pipeline with that many requests in flight.
double IngestRate(Engine& engine, const std::vector<std::string>& decisions, int clients,
                  int per_client, std::atomic<uint64_t>& next_id) {
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      for (int i = 0; i < per_client; ++i) {
        const uint64_t n = next_id.fetch_add(1);
        Check(engine.Feedback(Event(decisions[n % decisions.size()], n)).status(), "feedback");
        absl::Notification acked;
        engine.WhenDurable([&](absl::Status s) {
          Check(s, "fsync");
          acked.Notify();
        });
        acked.WaitForNotification();
      }
    });
  }
  for (auto& t : threads) t.join();
  return clients * per_client / absl::ToDoubleSeconds(absl::Now() - start);
}

int Ingest(const std::string& dir) {
  SystemClock clock;
  for (const bool sync : {false, true}) {
    const std::string path = absl::StrCat(dir, sync ? "/sync" : "/nosync");
    storage::StoreOptions options;
    options.sync = sync;
    auto store = storage::RocksStore::Open(path, options);
    Check(store.status(), "open");
    auto engine = Engine::Create(Specs(), store->get(), &clock);
    Check(engine.status(), "engine");
    const auto decisions = MakeDecisions(**engine, 2000);
    std::atomic<uint64_t> next_id{0};
    for (const int clients : {1, 4, 16, 64}) {
      const int per_client = (sync ? 4000 : 40000) / clients;
      const double rate = IngestRate(**engine, decisions, clients, per_client, next_id);
      std::printf("ingest sync=%s clients=%-3d %9.0f events/s\n", sync ? "on " : "off", clients,
                  rate);
    }
  }
  fs::remove_all(dir);
  return 0;
}

int Recovery(const std::string& dir, uint64_t events) {
  SystemClock clock;
  constexpr int kEventsPerDecision = 4;
  constexpr uint64_t kAfterCheckpoint = 1000;
  if (!fs::exists(dir)) {
    // Build: events - 1000, a checkpoint, 1000 more ("a recent checkpoint").
    auto store = storage::RocksStore::Open(dir);
    Check(store.status(), "open");
    DurabilityOptions no_auto;
    no_auto.checkpoint_every_events = 0;
    auto engine = Engine::Create(Specs(), store->get(), &clock, no_auto);
    Check(engine.status(), "engine");
    const absl::Time start = absl::Now();
    const auto decisions = MakeDecisions(**engine, events / kEventsPerDecision);
    for (uint64_t n = 0; n < events; ++n) {
      if (n == events - kAfterCheckpoint) Check((*engine)->Checkpoint(), "checkpoint");
      Check((*engine)->Feedback(Event(decisions[n / kEventsPerDecision], n)).status(), "feedback");
    }
    std::printf("built %llu decisions + %llu events in %.1f s\n",
                static_cast<unsigned long long>(decisions.size()),
                static_cast<unsigned long long>(events),
                absl::ToDoubleSeconds(absl::Now() - start));
  }
  uint64_t bytes = 0;
  for (const auto& f : fs::recursive_directory_iterator(dir)) {
    if (f.is_regular_file()) bytes += f.file_size();
  }
  std::printf("store: %.0f MB on disk\n", bytes / 1e6);
  for (const bool verify : {false, true}) {
    for (const bool checkpoint : {true, false}) {
      storage::StoreOptions options;
      options.verify_checksums = verify;
      const absl::Time start = absl::Now();
      auto store = storage::RocksStore::Open(dir, options);
      Check(store.status(), "open");
      const absl::Duration open = absl::Now() - start;
      DurabilityOptions d;
      d.ignore_checkpoints = !checkpoint;
      auto engine = Engine::Create(Specs(), store->get(), &clock, d);
      Check(engine.status(), "recover");
      const absl::Duration total = absl::Now() - start;
      std::printf(
          "recovery %-18s verify_checksums=%-5s open %6.2f s, total %6.2f s (%llu events "
          "replayed, %llu decisions counted)\n",
          checkpoint ? "with checkpoint" : "full replay", verify ? "true" : "false",
          absl::ToDoubleSeconds(open), absl::ToDoubleSeconds(total),
          static_cast<unsigned long long>((*engine)->recovery().feedback_events),
          static_cast<unsigned long long>((*engine)->recovery().decisions));
    }
  }
  return 0;
}

}  // namespace
}  // namespace router

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "ingest") {
    if (std::filesystem::exists(argv[2])) {
      std::fprintf(stderr, "%s exists; give a new directory\n", argv[2]);
      return 2;
    }
    return router::Ingest(argv[2]);
  }
  if (argc >= 3 && std::string(argv[1]) == "recovery") {
    uint64_t events = 1000000;
    if (argc >= 4 && !absl::SimpleAtoi(argv[3], &events)) return 2;
    return router::Recovery(argv[2], events);
  }
  std::fprintf(stderr, "usage: durability_bench ingest DIR | recovery DIR [EVENTS]\n");
  return 2;
}
