#include "core/featurizer.h"

#include <algorithm>
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

  const bool rich = spec_.text_features == FeatureSpec::TextFeatures::kRich;
  const absl::string_view grams(lower.data(), std::min(lower.size(), kMaxCharGramBytes));
  for (size_t i = 0; i + 3 <= grams.size(); ++i) {
    AddHashed(absl::StrCat("c:", grams.substr(i, 3)), rich ? 0.25 : 0.5, block);
  }
  if (rich) HashTemplate(text, lower, words, block);

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

void Featurizer::HashStructured(absl::string_view text, Eigen::Ref<Eigen::VectorXd> block) const {
  const std::string lower = absl::AsciiStrToLower(text);
  std::vector<absl::string_view> words;
  for (size_t i = 0; i < lower.size();) {
    while (i < lower.size() && !IsWordByte(lower[i])) ++i;
    const size_t start = i;
    while (i < lower.size() && IsWordByte(lower[i])) ++i;
    if (i > start) words.push_back(absl::string_view(lower).substr(start, i - start));
  }
  Eigen::VectorXd family(hash_dim_);
  // Square-rooted counts (a word seen 100 times is not 100 times the evidence), the family
  // normalised on its own, added with weight 1.
  auto add_family = [&](auto&& fill) {
    family.setZero();
    fill(Eigen::Ref<Eigen::VectorXd>(family));
    family = family.array().sign() * family.array().abs().sqrt();
    NormalizeBlock(family);
    block += family;
  };
  add_family([&](Eigen::Ref<Eigen::VectorXd> f) {
    for (absl::string_view w : words) AddHashed(absl::StrCat("w:", w), 1.0, f);
  });
  add_family([&](Eigen::Ref<Eigen::VectorXd> f) {
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      AddHashed(absl::StrCat("b:", words[i], " ", words[i + 1]), 1.0, f);
    }
  });
  add_family([&](Eigen::Ref<Eigen::VectorXd> f) {
    const absl::string_view grams(lower.data(), std::min(lower.size(), kMaxCharGramBytes));
    for (size_t i = 0; i + 3 <= grams.size(); ++i) AddHashed(absl::StrCat("c:", grams.substr(i, 3)), 1.0, f);
  });
  add_family([&](Eigen::Ref<Eigen::VectorXd> f) {
    HashPrefixSuffix(words, 1.0, f);
  });
  add_family([&](Eigen::Ref<Eigen::VectorXd> f) {
    auto bucket = [](size_t n) { return static_cast<int>(std::log2(1.0 + static_cast<double>(n))); };
    const size_t digits =
        std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    AddHashed(absl::StrFormat("len:%d", bucket(text.size())), 1.0, f);
    AddHashed(absl::StrFormat("digits:%d", bucket(digits)), 1.0, f);
    AddHashed(absl::StrFormat("lines:%d", bucket(std::count(text.begin(), text.end(), '\n'))), 1.0, f);
    AddHashed(absl::StrFormat("questions:%d", bucket(std::count(text.begin(), text.end(), '?'))), 1.0, f);
    AddHashed(absl::StrFormat("words:%d", bucket(words.size())), 1.0, f);
    const std::pair<const char*, const char*> markers[] = {
        {"```", "mark:code"}, {"def ", "mark:python"}, {"{", "mark:code"}, {"\\frac", "mark:math"},
        {"(a)", "mark:options"}, {"a)", "mark:options"}, {"options:", "mark:options"},
        {"choices", "mark:options"}, {"return", "mark:code_return"}, {"function", "mark:function"},
        {"step by step", "mark:cot"}, {"answer:", "mark:answer"}, {"true or false", "mark:boolean"},
        {"yes or no", "mark:boolean"}};
    for (const auto& [needle, token] : markers) {
      if (lower.find(needle) != std::string::npos) AddHashed(token, 1.0, f);
    }
    if (lower.find_first_of("=^+*/") != std::string::npos) AddHashed("mark:math", 1.0, f);
  });
}

void Featurizer::HashPrefixSuffix(const std::vector<absl::string_view>& words, double weight,
                                  Eigen::Ref<Eigen::VectorXd> block) const {
  std::string prefix;
  for (size_t i = 0; i < std::min<size_t>(words.size(), 4); ++i) {
    absl::StrAppend(&prefix, i > 0 ? " " : "", words[i]);
    AddHashed(absl::StrCat("p", i + 1, ":", prefix), weight, block);
  }
  std::string suffix;
  for (size_t i = 0; i < std::min<size_t>(words.size(), 3); ++i) {
    suffix = absl::StrCat(words[words.size() - 1 - i], i > 0 ? " " : "", suffix);
    AddHashed(absl::StrCat("s", i + 1, ":", suffix), weight, block);
  }
}

void Featurizer::HashTemplate(absl::string_view text, absl::string_view lower,
                              const std::vector<absl::string_view>& words,
                              Eigen::Ref<Eigen::VectorXd> block) const {
  // A query's first and last words name its template (benchmark, instruction style), which is
  // most of what predicts which model answers it well.
  HashPrefixSuffix(words, 1.5, block);
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    AddHashed(absl::StrCat("t:", words[i], " ", words[i + 1], " ", words[i + 2]), 0.5, block);
  }
  auto bucket = [](size_t n) { return static_cast<int>(std::log2(1.0 + static_cast<double>(n))); };
  const size_t digits = std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  AddHashed(absl::StrFormat("digits:%d", bucket(digits)), 1.5, block);
  AddHashed(absl::StrFormat("lines:%d", bucket(std::count(text.begin(), text.end(), '\n'))), 1.5,
            block);
  AddHashed(absl::StrFormat("questions:%d", bucket(std::count(text.begin(), text.end(), '?'))), 1.0,
            block);
  AddHashed(absl::StrFormat("words:%d", bucket(words.size())), 1.5, block);
  const std::pair<const char*, const char*> markers[] = {
      {"(a)", "mark:options"}, {"a)", "mark:options"},     {"options:", "mark:options"},
      {"choices", "mark:options"}, {"return", "mark:code_return"}, {"def ", "mark:python"},
      {"function", "mark:function"}, {"step by step", "mark:cot"}, {"answer:", "mark:answer"},
      {"true or false", "mark:boolean"}, {"yes or no", "mark:boolean"}};
  for (const auto& [needle, token] : markers) {
    if (lower.find(needle) != absl::string_view::npos) AddHashed(token, 1.5, block);
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
    if (!text.empty()) {
      if (spec_.text_features == FeatureSpec::TextFeatures::kStructured) {
        HashStructured(text, block);
      } else {
        HashText(text, block);
      }
    }
    for (const auto& [key, value] : attributes) {
      AddHashed(absl::StrCat("a:", key, "=", value), 2.0, block);
    }
    NormalizeBlock(block);
  }
  return x;
}

}  // namespace router
