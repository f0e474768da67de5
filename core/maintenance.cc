#include "core/maintenance.h"

namespace router {

MaintenanceLoop::MaintenanceLoop(Engine* engine, const Clock* clock,
                                 const MaintenanceOptions& options,
                                 std::function<void(const absl::Status&)> on_error)
    : engine_(engine), clock_(clock), options_(options), on_error_(std::move(on_error)) {
  thread_ = std::thread([this] { Run(); });
}

MaintenanceLoop::~MaintenanceLoop() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void MaintenanceLoop::Run() {
  absl::Time last_sweep = clock_->Now();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      // Wakes early on stop; otherwise sleeps one tick.
      mu_.AwaitWithTimeout(absl::Condition(&stop_), options_.tick);
      if (stop_) return;
    }
    if (engine_->CheckpointDue()) {
      if (absl::Status s = engine_->Checkpoint(); !s.ok()) on_error_(s);
    }
    const absl::Time now = clock_->Now();
    if (options_.sweep_every > absl::ZeroDuration() && now - last_sweep >= options_.sweep_every) {
      last_sweep = now;
      if (auto swept = engine_->SweepExpired(); !swept.ok()) on_error_(swept.status());
    }
  }
}

}  // namespace router
