#include "tests/testing/routerd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace router::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<pid_t> RouterdProcess::Spawn(const std::string& data_dir,
                                            const std::string& log_path,
                                            const std::vector<std::string>& extra) {
  const char* binary = std::getenv("ROUTERD");
  if (binary == nullptr) return absl::FailedPreconditionError("set ROUTERD to the routerd binary");
  std::vector<std::string> args = {binary, "--data_dir", data_dir, "--grpc_addr", "127.0.0.1:0",
                                   "--metrics_addr", ""};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, binary, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return absl::InternalError(absl::StrCat("posix_spawn failed: ", rc));
  return pid;
}

absl::StatusOr<RouterdProcess> RouterdProcess::Start(const std::string& data_dir,
                                                     const std::string& log_path,
                                                     const std::vector<std::string>& extra) {
  auto pid = Spawn(data_dir, log_path, extra);
  if (!pid.ok()) return pid.status();
  RouterdProcess p;
  p.pid_ = *pid;
  const std::string marker = "serving gRPC on 127.0.0.1:";
  for (int i = 0; i < 600; ++i) {  // bounded wait for start-up (recovery included), not timing
    const std::string log = ReadFile(log_path);
    const size_t at = log.find(marker);
    if (at != std::string::npos) {
      const size_t end = log.find_first_not_of("0123456789", at + marker.size());
      if (end != std::string::npos &&
          absl::SimpleAtoi(log.substr(at + marker.size(), end - at - marker.size()), &p.port_)) {
        return p;
      }
    }
    int status = 0;
    if (waitpid(p.pid_, &status, WNOHANG) == p.pid_) {
      return absl::InternalError(absl::StrCat("routerd exited during start-up:\n", log));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  p.Kill9();
  return absl::DeadlineExceededError(
      absl::StrCat("routerd did not serve within 30 s:\n", ReadFile(log_path)));
}

absl::StatusOr<int> RouterdProcess::RunToExit(const std::string& data_dir,
                                              const std::string& log_path,
                                              const std::vector<std::string>& extra) {
  auto pid = Spawn(data_dir, log_path, extra);
  if (!pid.ok()) return pid.status();
  for (int i = 0; i < 600; ++i) {
    int status = 0;
    if (waitpid(*pid, &status, WNOHANG) == *pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
  kill(*pid, SIGKILL);
  waitpid(*pid, nullptr, 0);
  return absl::DeadlineExceededError(
      absl::StrCat("routerd did not exit within 30 s (it should have refused to start):\n",
                   ReadFile(log_path)));
}

std::string RouterdProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

void RouterdProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int RouterdProcess::Terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace router::testing
