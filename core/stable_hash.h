#ifndef BANDIT_ROUTER_CORE_STABLE_HASH_H_
#define BANDIT_ROUTER_CORE_STABLE_HASH_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace router {

// A hash that is the same in every process, build and machine. Features are learned against
// these values, so absl::Hash (salted per process) must not be used for them.
uint64_t StableHash(absl::string_view bytes, uint64_t seed);

// StableHash computed in pieces, so a token made of several parts ("w:" + word) is hashed where
// it lies, without building it: StableHasher(seed).Add(a).Add(b).Finish() ==
// StableHash(absl::StrCat(a, b), seed). A hasher is a small value; copy it to hash several
// tokens that share a prefix.
class StableHasher {
 public:
  explicit StableHasher(uint64_t seed);

  StableHasher& Add(absl::string_view bytes) {
    for (unsigned char c : bytes) Add(static_cast<char>(c));
    return *this;
  }
  StableHasher& Add(char c) {
    state_ ^= static_cast<unsigned char>(c);
    state_ *= 0x100000001b3ULL;
    return *this;
  }
  // The decimal digits of n, as absl::StrCat(n) writes them.
  StableHasher& AddDecimal(int64_t n);
  uint64_t Finish() const;

 private:
  uint64_t state_;
};

// splitmix64 finaliser: a cheap bijective mix of 64 bits.
uint64_t Mix64(uint64_t x);

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_STABLE_HASH_H_
