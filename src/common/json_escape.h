#ifndef AIAAS_COMMON_JSON_ESCAPE_H_
#define AIAAS_COMMON_JSON_ESCAPE_H_

#include <string>
#include <string_view>

namespace aiaas {

// `text` as a JSON string literal, quotes included. Control bytes and
// non-ASCII bytes are written as \u00XX, so the result is valid JSON even when
// `text` quotes invalid UTF-8 from a request (for log lines and error bodies).
std::string JsonQuote(std::string_view text);

}  // namespace aiaas

#endif  // AIAAS_COMMON_JSON_ESCAPE_H_
