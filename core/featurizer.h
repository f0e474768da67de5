#ifndef BANDIT_ROUTER_CORE_FEATURIZER_H_
#define BANDIT_ROUTER_CORE_FEATURIZER_H_

#include <map>
#include <string>
#include <vector>

#include "Eigen/Dense"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/specs.h"

namespace router {

// Turns a query into the context vector x the policy learns on (DESIGN §3):
//   x = [1 (bias) ; projected embedding (embedding_proj_dim) ; hashed text + attributes]
// Each non-bias block is L2-normalised. The projection is a fixed Gaussian matrix drawn from the
// seed, so the same query always maps to the same x in every process.
class Featurizer {
 public:
  // `spec` must already be validated (dim >= 2, embedding_proj_dim < dim).
  explicit Featurizer(const FeatureSpec& spec);

  int dim() const { return spec_.dim; }

  // InvalidArgument when the embedding has the wrong length or non-finite values, or when both
  // embedding and text are empty.
  absl::StatusOr<Eigen::VectorXd> Featurize(
      absl::Span<const float> embedding, absl::string_view text,
      const std::map<std::string, std::string>& attributes) const;

 private:
  void AddHashed(absl::string_view token, double weight, Eigen::Ref<Eigen::VectorXd> block) const;
  void HashText(absl::string_view text, Eigen::Ref<Eigen::VectorXd> block) const;
  // FeatureSpec::TextFeatures::kStructured: RICH's tokens by family, each family normalised.
  void HashStructured(absl::string_view text, Eigen::Ref<Eigen::VectorXd> block) const;
  // The first 1-4 and last 1-3 words as tokens (what names a query's template), at `weight`;
  // shared by RICH and STRUCTURED.
  void HashPrefixSuffix(const std::vector<absl::string_view>& words, double weight,
                        Eigen::Ref<Eigen::VectorXd> block) const;
  // FeatureSpec::TextFeatures::kRich only: template, shape and instruction features.
  void HashTemplate(absl::string_view text, absl::string_view lower,
                    const std::vector<absl::string_view>& words,
                    Eigen::Ref<Eigen::VectorXd> block) const;

  FeatureSpec spec_;
  int hash_dim_;
  Eigen::MatrixXd projection_;  // embedding_proj_dim x embedding_dim
};

}  // namespace router

#endif  // BANDIT_ROUTER_CORE_FEATURIZER_H_
