#ifndef BANDIT_ROUTER_TESTS_TESTING_NET_H_
#define BANDIT_ROUTER_TESTS_TESTING_NET_H_

#include <string>

#include "absl/status/statusor.h"

namespace router::testing {

// A port on 127.0.0.1 that was free a moment ago (for servers that cannot report theirs).
int FreeLoopbackPort();

// Percent-encodes a URL query value.
std::string UrlEncode(const std::string& value);

// A plain HTTP/1.0 GET to 127.0.0.1:port, returning the body of a 200 response.
absl::StatusOr<std::string> HttpGet(int port, const std::string& path);

// Sum of every sample of `metric` in a Prometheus text exposition whose labels contain all of
// `label_filter` (e.g. "arm=\"a\""); 0 if none.
double SumMetric(const std::string& exposition, const std::string& metric,
                 const std::string& label_filter = "");

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_NET_H_
