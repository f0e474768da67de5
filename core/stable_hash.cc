#include "core/stable_hash.h"

namespace router {

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t StableHash(absl::string_view bytes, uint64_t seed) {
  // FNV-1a over the bytes, then a full-avalanche finaliser so that low bits (used for the
  // bucket index) and the top bit (used for the sign) are both well mixed.
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix64(seed);
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

}  // namespace router
