// The featurizer hashes tokens where they lie (StableHasher) instead of building a string per
// token. Its output must be bit for bit what the string-building implementation produced, or
// every stored model would silently stop matching its features. `Reference` below is that
// implementation, kept verbatim (hash included) as the oracle; the test compares whole feature
// vectors with == on the queries of both datasets, edge cases and several specs.

#include <cmath>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/featurizer.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace router {
namespace {

// ---- The string-building implementation (core/featurizer.cc before in-place hashing). ----
namespace reference {

uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t StableHash(absl::string_view bytes, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix64(seed);
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix64(h);
}

constexpr size_t kMaxCharGramBytes = 4096;

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

struct Hasher {
  const FeatureSpec& spec;
  int hash_dim;
  void Add(absl::string_view token, double weight, Eigen::Ref<Eigen::VectorXd> block) const {
    const uint64_t h = StableHash(token, spec.seed);
    const double sign = (h >> 63) ? -1.0 : 1.0;
    block(static_cast<Eigen::Index>(h % static_cast<uint64_t>(hash_dim))) += sign * weight;
  }
};

void HashTemplate(const Hasher& hasher, absl::string_view text, absl::string_view lower,
                  const std::vector<absl::string_view>& words,
                  Eigen::Ref<Eigen::VectorXd> block) {
  std::string prefix;
  for (size_t i = 0; i < std::min<size_t>(words.size(), 4); ++i) {
    absl::StrAppend(&prefix, i > 0 ? " " : "", words[i]);
    hasher.Add(absl::StrCat("p", i + 1, ":", prefix), 1.5, block);
  }
  std::string suffix;
  for (size_t i = 0; i < std::min<size_t>(words.size(), 3); ++i) {
    suffix = absl::StrCat(words[words.size() - 1 - i], i > 0 ? " " : "", suffix);
    hasher.Add(absl::StrCat("s", i + 1, ":", suffix), 1.5, block);
  }
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    hasher.Add(absl::StrCat("t:", words[i], " ", words[i + 1], " ", words[i + 2]), 0.5, block);
  }
  auto bucket = [](size_t n) { return static_cast<int>(std::log2(1.0 + static_cast<double>(n))); };
  const size_t digits =
      std::count_if(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  hasher.Add(absl::StrFormat("digits:%d", bucket(digits)), 1.5, block);
  hasher.Add(absl::StrFormat("lines:%d", bucket(std::count(text.begin(), text.end(), '\n'))),
             1.5, block);
  hasher.Add(absl::StrFormat("questions:%d", bucket(std::count(text.begin(), text.end(), '?'))),
             1.0, block);
  hasher.Add(absl::StrFormat("words:%d", bucket(words.size())), 1.5, block);
  const std::pair<const char*, const char*> markers[] = {
      {"(a)", "mark:options"},     {"a)", "mark:options"},
      {"options:", "mark:options"}, {"choices", "mark:options"},
      {"return", "mark:code_return"}, {"def ", "mark:python"},
      {"function", "mark:function"}, {"step by step", "mark:cot"},
      {"answer:", "mark:answer"},   {"true or false", "mark:boolean"},
      {"yes or no", "mark:boolean"}};
  for (const auto& [needle, token] : markers) {
    if (lower.find(needle) != absl::string_view::npos) hasher.Add(token, 1.5, block);
  }
}

void HashText(const Hasher& hasher, absl::string_view text, Eigen::Ref<Eigen::VectorXd> block) {
  const std::string lower = absl::AsciiStrToLower(text);
  std::vector<absl::string_view> words;
  for (size_t i = 0; i < lower.size();) {
    while (i < lower.size() && !IsWordByte(lower[i])) ++i;
    const size_t start = i;
    while (i < lower.size() && IsWordByte(lower[i])) ++i;
    if (i > start) words.push_back(absl::string_view(lower).substr(start, i - start));
  }
  for (size_t i = 0; i < words.size(); ++i) {
    hasher.Add(absl::StrCat("w:", words[i]), 1.0, block);
    if (i + 1 < words.size()) {
      hasher.Add(absl::StrCat("b:", words[i], " ", words[i + 1]), 1.0, block);
    }
  }
  const bool rich = hasher.spec.text_features == FeatureSpec::TextFeatures::kRich;
  const absl::string_view grams(lower.data(), std::min(lower.size(), kMaxCharGramBytes));
  for (size_t i = 0; i + 3 <= grams.size(); ++i) {
    hasher.Add(absl::StrCat("c:", grams.substr(i, 3)), rich ? 0.25 : 0.5, block);
  }
  if (rich) HashTemplate(hasher, text, lower, words, block);
  const int length_bucket = static_cast<int>(std::log2(1.0 + static_cast<double>(text.size())));
  hasher.Add(absl::StrFormat("len:%d", length_bucket), 2.0, block);
  if (lower.find("```") != std::string::npos || lower.find("def ") != std::string::npos ||
      lower.find('{') != std::string::npos) {
    hasher.Add("mark:code", 2.0, block);
  }
  if (lower.find_first_of("=^+*/") != std::string::npos ||
      lower.find("\\frac") != std::string::npos) {
    hasher.Add("mark:math", 2.0, block);
  }
}

// Text and attributes only (no embedding): the part the in-place hashing changed.
Eigen::VectorXd Featurize(const FeatureSpec& spec, absl::string_view text,
                          const std::map<std::string, std::string>& attributes) {
  const int hash_dim = spec.dim - 1 - spec.embedding_proj_dim;
  Eigen::VectorXd x = Eigen::VectorXd::Zero(spec.dim);
  x(0) = 1.0;
  if (hash_dim > 0 && (!text.empty() || !attributes.empty())) {
    auto block = x.segment(1 + spec.embedding_proj_dim, hash_dim);
    const Hasher hasher{spec, hash_dim};
    if (!text.empty()) HashText(hasher, text, block);
    for (const auto& [key, value] : attributes) {
      hasher.Add(absl::StrCat("a:", key, "=", value), 2.0, block);
    }
    const double norm = block.norm();
    if (norm > 0) block /= norm;
  }
  return x;
}

}  // namespace reference

std::vector<std::string> DatasetTexts(const std::string& file, int n) {
  const char* src = std::getenv("ROUTER_SOURCE_DIR");
  const std::string path = absl::StrCat(src != nullptr ? src : ".", "/datasets/", file);
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path
                         << " (the datasets live in the repository under datasets/)";
  std::vector<std::string> texts;
  std::string line;
  while (static_cast<int>(texts.size()) < n && std::getline(in, line)) {
    texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
  }
  return texts;
}

std::vector<std::string> EdgeCases() {
  std::string long_text;
  for (int i = 0; i < 700; ++i) absl::StrAppend(&long_text, "Word", i, " x=", i * 7, "\n");
  return {"a",
          "ab",
          "abc",
          "  !!  ",
          "Hello, World",
          "DEF foo(): return {1}",
          "```python\nprint(1)\n```",
          "Compute \\frac{1}{2} + 3^2 = ?",
          "(A) yes (B) no. Answer: step by step, true or false? yes or no",
          "caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xff\xfe",
          "1234567890 0987654321",
          "one two",
          "one two three four five six seven",
          long_text};
}

std::vector<FeatureSpec> Specs() {
  std::vector<FeatureSpec> specs;
  for (auto features : {FeatureSpec::TextFeatures::kBasic, FeatureSpec::TextFeatures::kRich}) {
    for (auto [dim, proj, seed] :
         {std::tuple{64, 32, uint64_t{0}}, std::tuple{512, 0, uint64_t{12345}},
          std::tuple{3, 0, uint64_t{7}}, std::tuple{97, 16, uint64_t{0xffffffffffffffff}}}) {
      FeatureSpec spec;
      spec.dim = dim;
      spec.embedding_dim = proj > 0 ? 8 : 0;
      spec.embedding_proj_dim = proj;
      spec.seed = seed;
      spec.text_features = features;
      specs.push_back(spec);
    }
  }
  return specs;
}

TEST(FeaturizerIdentityTest, SameVectorsAsTheStringBuildingImplementation) {
  std::vector<std::string> texts = EdgeCases();
  for (const std::string& t : DatasetTexts("llmrouter/llmrouter-9models.jsonl", 1500)) {
    texts.push_back(t);
  }
  for (const std::string& t : DatasetTexts("routerarena/routerarena-2models.jsonl", 500)) {
    texts.push_back(t);
  }
  ASSERT_GT(texts.size(), 2000u);
  const std::map<std::string, std::string> no_attributes;
  const std::map<std::string, std::string> attributes = {{"tenant", "acme"}, {"lang", "de"}};
  for (const FeatureSpec& spec : Specs()) {
    const Featurizer featurizer(spec);
    int compared = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
      const auto& attrs = i % 3 == 0 ? attributes : no_attributes;
      auto x = featurizer.Featurize({}, texts[i], attrs);
      ASSERT_TRUE(x.ok()) << x.status();
      const Eigen::VectorXd expected = reference::Featurize(spec, texts[i], attrs);
      ASSERT_EQ(x->size(), expected.size());
      // Exact equality, element by element: not a tolerance.
      for (Eigen::Index j = 0; j < expected.size(); ++j) {
        ASSERT_EQ((*x)(j), expected(j)) << "dim " << spec.dim << " seed " << spec.seed
                                        << " rich " << static_cast<int>(spec.text_features)
                                        << " text #" << i << " element " << j;
      }
      ++compared;
    }
    EXPECT_EQ(compared, static_cast<int>(texts.size()));
  }
}

TEST(FeaturizerIdentityTest, AttributesAloneMatchToo) {
  FeatureSpec spec;
  spec.dim = 64;
  spec.embedding_dim = 8;
  spec.embedding_proj_dim = 8;
  const Featurizer featurizer(spec);
  const std::map<std::string, std::string> attributes = {{"k", ""}, {"", "v"}, {"a=b", "c"}};
  std::vector<float> embedding(8, 0.5f);
  auto x = featurizer.Featurize(embedding, "", attributes);
  ASSERT_TRUE(x.ok()) << x.status();
  const Eigen::VectorXd expected = reference::Featurize(spec, "", attributes);
  EXPECT_EQ(x->tail(64 - 9), expected.tail(64 - 9));
}

}  // namespace
}  // namespace router
