#ifndef AIAAS_COMMON_LOGGING_H_
#define AIAAS_COMMON_LOGGING_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace aiaas {

enum class LogFormat { kText, kJson };
enum class LogLevel { kInfo, kWarning, kError };

// Key/value fields of a structured log line.
using LogFields = std::vector<std::pair<std::string, std::string>>;

// Process-wide log sink writing one line per event to stderr, as text
// (`2026-11-22T10:00:00.123Z INFO message key=value`) or as one JSON object.
// Thread-safe. The format is set once at start-up, before threads start.
class Logger {
 public:
  static Logger& Get();

  void set_format(LogFormat format) { format_ = format; }

  void Log(LogLevel level, std::string_view message, const LogFields& fields = {});

 private:
  Logger() = default;
  LogFormat format_ = LogFormat::kText;
};

inline void LogInfo(std::string_view message, const LogFields& fields = {}) {
  Logger::Get().Log(LogLevel::kInfo, message, fields);
}
inline void LogWarning(std::string_view message, const LogFields& fields = {}) {
  Logger::Get().Log(LogLevel::kWarning, message, fields);
}
inline void LogError(std::string_view message, const LogFields& fields = {}) {
  Logger::Get().Log(LogLevel::kError, message, fields);
}

}  // namespace aiaas

#endif  // AIAAS_COMMON_LOGGING_H_
