#ifndef BANDIT_ROUTER_CORE_RANDOM_H_
#define BANDIT_ROUTER_CORE_RANDOM_H_

#include <cmath>
#include <cstdint>

#include "core/stable_hash.h"

namespace router {

// A tiny seeded generator (splitmix64 stream) with portable uniform and Gaussian draws.
// std::normal_distribution and friends differ between standard libraries; decisions and
// projections must replay identically everywhere, so we draw our own.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() { return Mix64(state_++); }

  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n); n > 0.
  uint64_t UniformInt(uint64_t n) { return static_cast<uint64_t>(Uniform() * n) % n; }

  // Standard normal by Box–Muller (one of the pair; simplicity over speed).
  double Gaussian() {
    const double u1 = (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = Uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  uint64_t state_;
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_RANDOM_H_
