#ifndef BANDIT_ROUTER_CORE_CLOCK_H_
#define BANDIT_ROUTER_CORE_CLOCK_H_

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace router {

// Injected so that decision timestamps and expiry are reproducible in tests.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_CLOCK_H_
