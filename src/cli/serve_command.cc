#include "cli/serve_command.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace aiaas::cli {

std::string ServerBinaryPath(absl::string_view self_exe) {
  const size_t slash = self_exe.find_last_of('/');
  if (slash == absl::string_view::npos) return std::string(kServerBinaryName);
  return absl::StrCat(self_exe.substr(0, slash + 1), kServerBinaryName);
}

absl::Status ExecServer(const std::vector<std::string>& server_args) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot find the aiaas binary via /proc/self/exe: ", error.message()));
  }
  const std::string server = ServerBinaryPath(self.string());
  if (access(server.c_str(), X_OK) != 0) {
    return absl::NotFoundError(
        absl::StrCat("cannot start the server: ", server, ": ", std::strerror(errno),
                     " (aiaas-server must sit in the same directory as aiaas; build it with "
                     "'ninja aiaas-server' or reinstall)"));
  }
  // execv wants mutable C strings; `args` owns copies that live until exec.
  std::vector<std::string> args = {server};
  args.insert(args.end(), server_args.begin(), server_args.end());
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  execv(server.c_str(), argv.data());
  return absl::InternalError(absl::StrCat("cannot run ", server, ": ", std::strerror(errno)));
}

}  // namespace aiaas::cli
