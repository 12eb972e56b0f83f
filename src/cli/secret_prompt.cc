#include "cli/secret_prompt.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace aiaas::cli {
namespace {

constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The terminal settings to put back if a signal ends the prompt. Only written while no
// handler is installed, read only by the handler.
struct termios g_saved_terminal;

extern "C" void RestoreTerminalAndReraise(int signal_number) {
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

// Echo off for its lifetime; the previous settings and signal handlers come back on
// destruction.
class EchoOff {
 public:
  EchoOff() {
    if (tcgetattr(STDIN_FILENO, &g_saved_terminal) != 0) return;
    for (size_t i = 0; i < std::size(kSignals); ++i) {
      struct sigaction action {};
      action.sa_handler = &RestoreTerminalAndReraise;
      sigemptyset(&action.sa_mask);
      sigaction(kSignals[i], &action, &previous_[i]);
    }
    struct termios quiet = g_saved_terminal;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;  // the newline the user types is still shown
    active_ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    if (!active_) RestoreHandlers();
  }
  ~EchoOff() {
    if (!active_) return;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved_terminal);
    RestoreHandlers();
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

  bool active() const { return active_; }

 private:
  void RestoreHandlers() {
    for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
  }

  bool active_ = false;
  struct sigaction previous_[std::size(kSignals)] = {};
};

}  // namespace

absl::StatusOr<std::string> ReadSecretFromTerminal(absl::string_view prompt) {
  if (isatty(STDIN_FILENO) != 1) {
    return absl::FailedPreconditionError("standard input is not a terminal");
  }
  static_cast<void>(write(STDERR_FILENO, prompt.data(), prompt.size()));
  std::string line;
  {
    EchoOff echo_off;
    if (!echo_off.active()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot switch off terminal echo: ", std::strerror(errno)));
    }
    // Byte by byte, so nothing after the newline is taken from the terminal.
    for (;;) {
      char c = 0;
      const ssize_t got = read(STDIN_FILENO, &c, 1);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return absl::CancelledError("no key was typed (end of input)");
      if (c == '\n') break;
      line.push_back(c);
    }
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace aiaas::cli
