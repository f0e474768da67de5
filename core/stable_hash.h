#ifndef BANDIT_ROUTER_CORE_STABLE_HASH_H_
#define BANDIT_ROUTER_CORE_STABLE_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace router {

// A hash that is the same in every process, build and machine. Features are learned against
// these values, so absl::Hash (salted per process) must not be used for them.
uint64_t StableHash(absl::string_view bytes, uint64_t seed);

// splitmix64 finaliser: a cheap bijective mix of 64 bits.
uint64_t Mix64(uint64_t x);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_STABLE_HASH_H_
