#ifndef BANDIT_ROUTER_CORE_MAINTENANCE_H_
#define BANDIT_ROUTER_CORE_MAINTENANCE_H_

#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "core/engine.h"

namespace router {

struct MaintenanceOptions {
  // How often (wall time) the loop wakes up to look at the clock and the engine.
  absl::Duration tick = absl::Seconds(1);
  // Expiry sweep period, on the engine's clock. Zero: never.
  absl::Duration sweep_every = absl::Minutes(1);
};

// An engine's background work, on its own thread so that request threads never write a
// checkpoint or delete decisions: a checkpoint whenever Engine::CheckpointDue, and an expiry sweep
// every sweep_every of the injected clock. A failure goes to `on_error` and is retried at the
// next tick.
class MaintenanceLoop {
 public:
  // Starts the thread. `engine` and `clock` must outlive the loop.
  MaintenanceLoop(Engine* engine, const Clock* clock, const MaintenanceOptions& options,
                  std::function<void(const absl::Status&)> on_error);
  // Stops and joins the thread (a step in progress finishes first).
  ~MaintenanceLoop();

  MaintenanceLoop(const MaintenanceLoop&) = delete;
  MaintenanceLoop& operator=(const MaintenanceLoop&) = delete;

 private:
  void Run();

  Engine* const engine_;
  const Clock* const clock_;
  const MaintenanceOptions options_;
  const std::function<void(const absl::Status&)> on_error_;
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_MAINTENANCE_H_
