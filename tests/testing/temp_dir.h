#ifndef BANDIT_ROUTER_TESTS_TESTING_TEMP_DIR_H_
#define BANDIT_ROUTER_TESTS_TESTING_TEMP_DIR_H_

#include <string>

namespace router::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace router::testing

#endif  // BANDIT_ROUTER_TESTS_TESTING_TEMP_DIR_H_
