#include "core/stable_hash.h"

#include <charconv>

namespace router {

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// FNV-1a over the bytes, then a full-avalanche finaliser so that low bits (used for the bucket
// index) and the top bit (used for the sign) are both well mixed.
StableHasher::StableHasher(uint64_t seed) : state_(0xcbf29ce484222325ULL ^ Mix64(seed)) {}

uint64_t StableHasher::Finish() const { return Mix64(state_); }

StableHasher& StableHasher::AddDecimal(int64_t n) {
  char digits[24];
  char* end = std::to_chars(digits, digits + sizeof(digits), n).ptr;
  return Add(absl::string_view(digits, static_cast<size_t>(end - digits)));
}

uint64_t StableHash(absl::string_view bytes, uint64_t seed) {
  return StableHasher(seed).Add(bytes).Finish();
}

}  // namespace router
