#ifndef BANDIT_ROUTER_TESTS_TESTING_ROUTERD_PROCESS_H_
#define BANDIT_ROUTER_TESTS_TESTING_ROUTERD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace router::testing {

// The real routerd binary (path in $ROUTERD) as a child process, output to a log file.
class RouterdProcess {
 public:
  // Starts routerd with --data_dir, free ports, no metrics, and `extra` flags; waits (bounded)
  // for "serving gRPC". Fails with the log's content if it exits or never serves.
  static absl::StatusOr<RouterdProcess> Start(const std::string& data_dir,
                                              const std::string& log_path,
                                              const std::vector<std::string>& extra = {});
  // Runs routerd expecting it to exit by itself (a refused start); returns its exit code.
  static absl::StatusOr<int> RunToExit(const std::string& data_dir, const std::string& log_path,
                                       const std::vector<std::string>& extra = {});

  RouterdProcess() = default;
  RouterdProcess(RouterdProcess&& o) noexcept : pid_(o.pid_), port_(o.port_) { o.pid_ = -1; }
  RouterdProcess& operator=(RouterdProcess&& o) noexcept {
    Kill9();
    pid_ = o.pid_;
    port_ = o.port_;
    o.pid_ = -1;
    return *this;
  }
  // A process still running (a failed test) is killed, never left behind.
  ~RouterdProcess() { Kill9(); }

  int port() const { return port_; }
  std::string address() const;
  void Kill9();
  // SIGTERM and wait; returns the exit code.
  int Terminate();

 private:
  static absl::StatusOr<pid_t> Spawn(const std::string& data_dir, const std::string& log_path,
                                     const std::vector<std::string>& extra);
  pid_t pid_ = -1;
  int port_ = 0;
};

std::string ReadFile(const std::string& path);

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_ROUTERD_PROCESS_H_
