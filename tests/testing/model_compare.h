#ifndef BANDIT_ROUTER_TESTS_TESTING_MODEL_COMPARE_H_
#define BANDIT_ROUTER_TESTS_TESTING_MODEL_COMPARE_H_

#include <string>

#include "core/model_state.h"

namespace router::testing {

// Adds a gtest failure per difference between two router states larger than `tolerance`
// (0: bit-identical), naming the arm, objective and field.
void ExpectSameState(const RouterState& expected, const RouterState& actual,
                     double tolerance = 0.0);

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_MODEL_COMPARE_H_
