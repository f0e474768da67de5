#include "core/featurizer.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/random.h"
#include "core/stable_hash.h"

namespace router {
namespace {

// Character n-grams beyond this many bytes add cost but little signal.
constexpr size_t kMaxCharGramBytes = 4096;

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

void NormalizeBlock(Eigen::Ref<Eigen::VectorXd> block) {
  const double norm = block.norm();
  if (norm > 0) block /= norm;
}

}  // namespace

Featurizer::Featurizer(const FeatureSpec& spec)
    : spec_(spec), hash_dim_(spec.dim - 1 - spec.embedding_proj_dim) {
  if (spec_.embedding_dim > 0 && spec_.embedding_proj_dim > 0) {
    projection_.resize(spec_.embedding_proj_dim, spec_.embedding_dim);
    // Portable draws: the projection must be identical wherever stored state is read back.
    Rng rng(Mix64(spec_.seed ^ 0x70726f6aULL));
    for (int r = 0; r < projection_.rows(); ++r) {
      for (int c = 0; c < projection_.cols(); ++c) projection_(r, c) = rng.Gaussian();
    }
  }
}

void Featurizer::AddHashed(absl::string_view token, double weight,
                           Eigen::Ref<Eigen::VectorXd> block) const {
  const uint64_t h = StableHash(token, spec_.seed);
  const double sign = (h >> 63) ? -1.0 : 1.0;
  block(static_cast<Eigen::Index>(h % static_cast<uint64_t>(hash_dim_))) += sign * weight;
}

void Featurizer::HashText(absl::string_view text, Eigen::Ref<Eigen::VectorXd> block) const {
  const std::string lower = absl::AsciiStrToLower(text);

  std::vector<absl::string_view> words;
  for (size_t i = 0; i < lower.size();) {
    while (i < lower.size() && !IsWordByte(lower[i])) ++i;
    const size_t start = i;
    while (i < lower.size() && IsWordByte(lower[i])) ++i;
    if (i > start) words.push_back(absl::string_view(lower).substr(start, i - start));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    AddHashed(absl::StrCat("w:", words[i]), 1.0, block);
    if (i + 1 < words.size()) AddHashed(absl::StrCat("b:", words[i], " ", words[i + 1]), 1.0, block);
  }

  const absl::string_view grams(lower.data(), std::min(lower.size(), kMaxCharGramBytes));
  for (size_t i = 0; i + 3 <= grams.size(); ++i) {
    AddHashed(absl::StrCat("c:", grams.substr(i, 3)), 0.5, block);
  }

  // Lexical markers: coarse signals of length and kind of task that survive hashing collisions.
  const int length_bucket = static_cast<int>(std::log2(1.0 + static_cast<double>(text.size())));
  AddHashed(absl::StrFormat("len:%d", length_bucket), 2.0, block);
  if (lower.find("```") != std::string::npos || lower.find("def ") != std::string::npos ||
      lower.find('{') != std::string::npos) {
    AddHashed("mark:code", 2.0, block);
  }
  if (lower.find_first_of("=^+*/") != std::string::npos ||
      lower.find("\\frac") != std::string::npos) {
    AddHashed("mark:math", 2.0, block);
  }
}

absl::StatusOr<Eigen::VectorXd> Featurizer::Featurize(
    absl::Span<const float> embedding, absl::string_view text,
    const std::map<std::string, std::string>& attributes) const {
  if (embedding.empty() && text.empty()) {
    return absl::InvalidArgumentError("request has neither an embedding nor text; give at least one");
  }
  if (!embedding.empty()) {
    if (spec_.embedding_dim == 0) {
      return absl::InvalidArgumentError(
          "this router accepts no embeddings (its embedding_dim is 0); send text instead");
    }
    if (static_cast<int>(embedding.size()) != spec_.embedding_dim) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "embedding has %d values, expected %d", embedding.size(), spec_.embedding_dim));
    }
    for (size_t i = 0; i < embedding.size(); ++i) {
      if (!std::isfinite(embedding[i])) {
        return absl::InvalidArgumentError(
            absl::StrFormat("embedding[%d] is not a finite number", i));
      }
    }
  }

  Eigen::VectorXd x = Eigen::VectorXd::Zero(spec_.dim);
  x(0) = 1.0;
  if (!embedding.empty() && spec_.embedding_proj_dim > 0) {
    const Eigen::VectorXd e =
        Eigen::Map<const Eigen::VectorXf>(embedding.data(), embedding.size()).cast<double>();
    auto block = x.segment(1, spec_.embedding_proj_dim);
    block = projection_ * e;
    NormalizeBlock(block);
  }
  if (hash_dim_ > 0 && (!text.empty() || !attributes.empty())) {
    auto block = x.segment(1 + spec_.embedding_proj_dim, hash_dim_);
    if (!text.empty()) HashText(text, block);
    for (const auto& [key, value] : attributes) {
      AddHashed(absl::StrCat("a:", key, "=", value), 2.0, block);
    }
    NormalizeBlock(block);
  }
  return x;
}

}  // namespace router
