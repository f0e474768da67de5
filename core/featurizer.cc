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
    : spec_(spec),
      hash_dim_(spec.dim - 1 - spec.embedding_proj_dim),
      seeded_(spec.seed),
      word_prefix_(Token("w:")),
      bigram_prefix_(Token("b:")),
      chargram_prefix_(Token("c:")) {
  if (spec_.embedding_dim > 0 && spec_.embedding_proj_dim > 0) {
    projection_.resize(spec_.embedding_proj_dim, spec_.embedding_dim);
    // Portable draws: the projection must be identical wherever stored state is read back.
    Rng rng(Mix64(spec_.seed ^ 0x70726f6aULL));
    for (int r = 0; r < projection_.rows(); ++r) {
      for (int c = 0; c < projection_.cols(); ++c) projection_(r, c) = rng.Gaussian();
    }
  }
}

void Featurizer::AddHashed(const StableHasher& token, double weight,
                           Eigen::Ref<Eigen::VectorXd> block) const {
  const uint64_t h = token.Finish();
  const double sign = (h >> 63) ? -1.0 : 1.0;
  block(static_cast<Eigen::Index>(h % static_cast<uint64_t>(hash_dim_))) += sign * weight;
}

StableHasher Featurizer::Token(absl::string_view prefix) const {
  StableHasher token = seeded_;
  token.Add(prefix);
  return token;
}

// Every token is hashed where its bytes lie (StableHasher), never built as a string: the hashes,
// and so the features, are the same as those of the concatenated tokens ("w:" + word, ...).
void Featurizer::HashText(absl::string_view text, Eigen::Ref<Eigen::VectorXd> block) const {
  const std::string lower = absl::AsciiStrToLower(text);

  std::vector<absl::string_view> words;
  words.reserve(lower.size() / 4 + 1);
  for (size_t i = 0; i < lower.size();) {
    while (i < lower.size() && !IsWordByte(lower[i])) ++i;
    const size_t start = i;
    while (i < lower.size() && IsWordByte(lower[i])) ++i;
    if (i > start) words.push_back(absl::string_view(lower).substr(start, i - start));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    AddHashed(StableHasher(word_prefix_).Add(words[i]), 1.0, block);
    if (i + 1 < words.size()) {
      AddHashed(StableHasher(bigram_prefix_).Add(words[i]).Add(' ').Add(words[i + 1]), 1.0,
                block);
    }
  }

  const bool rich = spec_.text_features == FeatureSpec::TextFeatures::kRich;
  const absl::string_view grams(lower.data(), std::min(lower.size(), kMaxCharGramBytes));
  const double gram_weight = rich ? 0.25 : 0.5;
  for (size_t i = 0; i + 3 <= grams.size(); ++i) {
    AddHashed(StableHasher(chargram_prefix_).Add(grams[i]).Add(grams[i + 1]).Add(grams[i + 2]),
              gram_weight, block);
  }
  if (rich) HashTemplate(text, lower, words, block);

  // Lexical markers: coarse signals of length and kind of task that survive hashing collisions.
  const int length_bucket = static_cast<int>(std::log2(1.0 + static_cast<double>(text.size())));
  AddHashed(Token("len:").AddDecimal(length_bucket), 2.0, block);
  if (lower.find("```") != std::string::npos || lower.find("def ") != std::string::npos ||
      lower.find('{') != std::string::npos) {
    AddHashed(Token("mark:code"), 2.0, block);
  }
  if (lower.find_first_of("=^+*/") != std::string::npos ||
      lower.find("\\frac") != std::string::npos) {
    AddHashed(Token("mark:math"), 2.0, block);
  }
}

void Featurizer::HashTemplate(absl::string_view text, absl::string_view lower,
                              const std::vector<absl::string_view>& words,
                              Eigen::Ref<Eigen::VectorXd> block) const {
  // A query's first and last words name its template (benchmark, instruction style), which is
  // most of what predicts which model answers it well.
  for (size_t i = 0; i < std::min<size_t>(words.size(), 4); ++i) {
    // "p<i+1>:" then words[0..i] joined by spaces.
    StableHasher prefix = Token("p");
    prefix.AddDecimal(static_cast<int64_t>(i + 1)).Add(':');
    for (size_t j = 0; j <= i; ++j) {
      if (j > 0) prefix.Add(' ');
      prefix.Add(words[j]);
    }
    AddHashed(prefix, 1.5, block);
  }
  for (size_t i = 0; i < std::min<size_t>(words.size(), 3); ++i) {
    // "s<i+1>:" then the last i+1 words, in order, joined by spaces.
    StableHasher suffix = Token("s");
    suffix.AddDecimal(static_cast<int64_t>(i + 1)).Add(':');
    for (size_t j = words.size() - 1 - i; j < words.size(); ++j) {
      if (j > words.size() - 1 - i) suffix.Add(' ');
      suffix.Add(words[j]);
    }
    AddHashed(suffix, 1.5, block);
  }
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    AddHashed(Token("t:").Add(words[i]).Add(' ').Add(words[i + 1]).Add(' ').Add(words[i + 2]),
              0.5, block);
  }
  auto bucket = [](size_t n) { return static_cast<int>(std::log2(1.0 + static_cast<double>(n))); };
  const size_t digits = std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  AddHashed(Token("digits:").AddDecimal(bucket(digits)), 1.5, block);
  AddHashed(Token("lines:").AddDecimal(bucket(std::count(text.begin(), text.end(), '\n'))), 1.5,
            block);
  AddHashed(Token("questions:").AddDecimal(bucket(std::count(text.begin(), text.end(), '?'))),
            1.0, block);
  AddHashed(Token("words:").AddDecimal(bucket(words.size())), 1.5, block);
  const std::pair<const char*, const char*> markers[] = {
      {"(a)", "mark:options"}, {"a)", "mark:options"},     {"options:", "mark:options"},
      {"choices", "mark:options"}, {"return", "mark:code_return"}, {"def ", "mark:python"},
      {"function", "mark:function"}, {"step by step", "mark:cot"}, {"answer:", "mark:answer"},
      {"true or false", "mark:boolean"}, {"yes or no", "mark:boolean"}};
  for (const auto& [needle, token] : markers) {
    if (lower.find(needle) != absl::string_view::npos) AddHashed(Token(token), 1.5, block);
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
      AddHashed(Token("a:").Add(key).Add('=').Add(value), 2.0, block);
    }
    NormalizeBlock(block);
  }
  return x;
}

}  // namespace router
