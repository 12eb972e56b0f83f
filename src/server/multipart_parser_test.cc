#include "server/multipart_parser.h"

#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace aiaas::server {
namespace {

using ::testing::HasSubstr;

constexpr char kBoundary[] = "XyZ-boundary-123";

struct Part {
  PartHeaders headers;
  std::string data;
  bool ended = false;
};

bool operator==(const Part& a, const Part& b) {
  return a.headers.name == b.headers.name && a.headers.filename == b.headers.filename &&
         a.headers.content_type == b.headers.content_type && a.data == b.data && a.ended == b.ended;
}

std::ostream& operator<<(std::ostream& os, const Part& part) {
  return os << "{name=" << part.headers.name
            << " filename=" << part.headers.filename.value_or("<none>")
            << " type=" << part.headers.content_type
            << " data=" << ::testing::PrintToString(part.data) << " ended=" << part.ended << "}";
}

// Records every callback; the result of a whole parse.
struct Recorder {
  std::vector<Part> parts;
  int data_calls = 0;
  size_t largest_slice = 0;
  absl::Status status;  // first error from Feed or Finish

  MultipartParser::Callbacks Callbacks() {
    return {[this](const PartHeaders& headers) {
              EXPECT_TRUE(parts.empty() || parts.back().ended) << "begin before previous end";
              parts.push_back({headers, "", false});
              return absl::OkStatus();
            },
            [this](std::string_view data) {
              EXPECT_FALSE(data.empty()) << "empty data slice";
              EXPECT_FALSE(parts.empty() || parts.back().ended) << "data outside a part";
              parts.back().data.append(data);
              ++data_calls;
              largest_slice = std::max(largest_slice, data.size());
              return absl::OkStatus();
            },
            [this]() {
              EXPECT_FALSE(parts.empty() || parts.back().ended) << "end outside a part";
              parts.back().ended = true;
              return absl::OkStatus();
            }};
  }
};

// Feeds `chunks` in order, then Finish, stopping at the first error.
Recorder ParseChunks(const std::vector<std::string_view>& chunks, MultipartLimits limits = {},
                     const std::string& boundary = kBoundary) {
  Recorder recorder;
  MultipartParser parser(boundary, recorder.Callbacks(), limits);
  for (std::string_view chunk : chunks) {
    recorder.status = parser.Feed(chunk);
    if (!recorder.status.ok()) return recorder;
  }
  recorder.status = parser.Finish();
  return recorder;
}

Recorder ParseWhole(std::string_view body, MultipartLimits limits = {}) {
  return ParseChunks({body}, limits);
}

Recorder ParseInChunksOf(std::string_view body, size_t size) {
  std::vector<std::string_view> chunks;
  for (size_t i = 0; i < body.size(); i += size) chunks.push_back(body.substr(i, size));
  return ParseChunks(chunks);
}

std::string FilePart(const std::string& name, const std::string& filename,
                     const std::string& data) {
  return "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"" + name +
         "\"; filename=\"" + filename + "\"\r\nContent-Type: application/octet-stream\r\n\r\n" +
         data + "\r\n";
}

std::string TextPart(const std::string& name, const std::string& value) {
  return "--" + std::string(kBoundary) + "\r\nContent-Disposition: form-data; name=\"" + name +
         "\"\r\n\r\n" + value + "\r\n";
}

std::string Close() { return "--" + std::string(kBoundary) + "--\r\n"; }

std::string AllBytes() {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  return bytes;
}

// Data full of near-delimiters: CRLF, "--", and every proper prefix of "\r\n--boundary".
std::string Tricky() {
  const std::string delimiter = "\r\n--" + std::string(kBoundary);
  std::string data = "--\r\n--\r\r\n\n-";
  for (size_t n = 1; n < delimiter.size(); ++n) data += delimiter.substr(0, n) + "x";
  data += "\r\n--" + std::string(kBoundary).substr(0, 5) + "\r\n--" +
          std::string(kBoundary).substr(0, 3);
  return data + AllBytes() + "\r";  // a lone CR right before the real delimiter
}

std::string SampleBody() {
  return "preamble to ignore\r\n" + FilePart("file", "model.pt", Tricky()) +
         TextPart("format", "torchscript") + TextPart("description", "") + Close() +
         "epilogue to ignore";
}

std::vector<Part> SampleParts() {
  return {{{"file", "model.pt", "application/octet-stream"}, Tricky(), true},
          {{"format", std::nullopt, ""}, "torchscript", true},
          {{"description", std::nullopt, ""}, "", true}};
}

TEST(MultipartParserTest, ParsesFileAndTextParts) {
  Recorder result = ParseWhole(SampleBody());
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.parts, SampleParts());
  // Fed whole, each non-empty part's data arrives in one slice.
  EXPECT_EQ(result.data_calls, 2);
}

TEST(MultipartParserTest, EveryChunkSizeGivesTheSameParts) {
  const std::string body = SampleBody();
  for (size_t size = 1; size <= body.size(); ++size) {
    Recorder result = ParseInChunksOf(body, size);
    ASSERT_TRUE(result.status.ok()) << "chunk size " << size << ": " << result.status;
    ASSERT_EQ(result.parts, SampleParts()) << "chunk size " << size;
  }
}

TEST(MultipartParserTest, EverySplitPointGivesTheSameParts) {
  const std::string body = SampleBody();
  const std::string_view view = body;
  for (size_t i = 0; i <= body.size(); ++i) {
    Recorder result = ParseChunks({view.substr(0, i), view.substr(i)});
    ASSERT_TRUE(result.status.ok()) << "split at " << i << ": " << result.status;
    ASSERT_EQ(result.parts, SampleParts()) << "split at " << i;
  }
}

TEST(MultipartParserTest, EveryPairOfSplitPointsGivesTheSameParts) {
  const std::string body =
      TextPart("a", "x\r\n--XyZ-bound\r\n-") + FilePart("f", "n", "\r\r\n") + Close();
  const std::vector<Part> expected = {{{"a", std::nullopt, ""}, "x\r\n--XyZ-bound\r\n-", true},
                                      {{"f", "n", "application/octet-stream"}, "\r\r\n", true}};
  const std::string_view view = body;
  for (size_t i = 0; i <= body.size(); ++i) {
    for (size_t j = i; j <= body.size(); ++j) {
      Recorder result = ParseChunks({view.substr(0, i), view.substr(i, j - i), view.substr(j)});
      ASSERT_TRUE(result.status.ok()) << i << "," << j << ": " << result.status;
      ASSERT_EQ(result.parts, expected) << i << "," << j;
    }
  }
}

// Random bodies whose data is drawn from the delimiter's own characters, cut into
// random chunks: what comes out must be exactly what went in.
TEST(MultipartParserTest, RandomNearBoundaryDataSurvivesRandomChunking) {
  std::mt19937 rng(42);
  const std::string delimiter = "\r\n--" + std::string(kBoundary);
  const std::string alphabet = "\r\n-XyZ-boundary-123";
  for (int round = 0; round < 2000; ++round) {
    std::vector<Part> expected;
    std::string body = round % 2 ? "" : "pre\r\n--XyZ\r\n";
    const int parts = 1 + static_cast<int>(rng() % 4);
    for (int p = 0; p < parts; ++p) {
      std::string data;
      const size_t length = rng() % 60;
      for (size_t i = 0; i < length; ++i) data += alphabet[rng() % alphabet.size()];
      // A real sender picks a boundary that does not occur in the data.
      if ((data + "\r\n").find(delimiter) != std::string::npos || data.rfind("--", 0) == 0) {
        data = "plain";
      }
      const std::string name = "p" + std::to_string(p);
      body += TextPart(name, data);
      expected.push_back({{name, std::nullopt, ""}, data, true});
    }
    body += Close();
    std::vector<std::string_view> chunks;
    for (size_t at = 0; at < body.size();) {
      const size_t size = 1 + rng() % 30;
      chunks.push_back(std::string_view(body).substr(at, size));
      at += size;
    }
    Recorder result = ParseChunks(chunks);
    ASSERT_TRUE(result.status.ok()) << "round " << round << ": " << result.status;
    ASSERT_EQ(result.parts, expected) << "round " << round;
  }
}

TEST(MultipartParserTest, StreamsLargePartsInLargeSlices) {
  std::mt19937 rng(1);
  std::string data(4 << 20, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const std::string body = FilePart("file", "big.bin", data) + Close();
  const size_t chunk = 64 << 10;
  Recorder result = ParseInChunksOf(body, chunk);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ASSERT_EQ(result.parts.size(), 1u);
  EXPECT_TRUE(result.parts[0].data == data);
  // Roughly one slice per chunk (plus the odd held-back CR), never per byte.
  EXPECT_LE(result.data_calls, static_cast<int>(2 * body.size() / chunk + 4));
  EXPECT_GT(result.largest_slice, chunk - 100);
}

TEST(MultipartParserTest, BodyMayStartWithCrlfAndPadBoundaries) {
  const std::string body = "\r\n--" + std::string(kBoundary) +
                           " \t \r\nContent-Disposition: form-data; name=a\r\n\r\nv\r\n--" +
                           kBoundary + "--";
  Recorder result = ParseWhole(body);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ASSERT_EQ(result.parts.size(), 1u);
  EXPECT_EQ(result.parts[0].headers.name, "a");
  EXPECT_EQ(result.parts[0].data, "v");
}

TEST(MultipartParserTest, EmptyFormIsJustTheClosingBoundary) {
  Recorder result = ParseWhole(Close());
  EXPECT_TRUE(result.status.ok()) << result.status;
  EXPECT_TRUE(result.parts.empty());
}

TEST(MultipartParserTest, ParsesHeaderParameters) {
  const std::string body =
      "--" + std::string(kBoundary) +
      "\r\ncontent-disposition:FORM-DATA;NAME=\"a \\\"quoted\\\" name\" ; "
      "filename=\"C:\\dir\\x.pt\"\r\nX-Other: ignored\r\nContent-Type:  text/plain; "
      "charset=utf-8 \r\n\r\n\r\n" +
      Close();
  Recorder result = ParseWhole(body);
  ASSERT_TRUE(result.status.ok()) << result.status;
  ASSERT_EQ(result.parts.size(), 1u);
  EXPECT_EQ(result.parts[0].headers.name, "a \"quoted\" name");
  EXPECT_EQ(result.parts[0].headers.filename, "C:\\dir\\x.pt");  // unescaped backslashes kept
  EXPECT_EQ(result.parts[0].headers.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(result.parts[0].data, "");
}

TEST(MultipartParserTest, MissingClosingBoundary) {
  for (const std::string& body :
       {std::string(), std::string("no boundary here at all"), TextPart("a", "v"),
        TextPart("a", "v").substr(0, 20), TextPart("a", "v") + "--" + kBoundary}) {
    Recorder result = ParseWhole(body);
    EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument) << body;
    EXPECT_EQ(result.status.message(), "multipart body ended before the closing boundary");
  }
}

TEST(MultipartParserTest, FullDelimiterFollowedByJunkIsAnError) {
  Recorder result = ParseWhole(TextPart("a", "v\r\n--" + std::string(kBoundary) + "X") + Close());
  EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status.message()),
              HasSubstr("a boundary must be followed by CRLF or \"--\""));
  EXPECT_FALSE(ParseWhole("--" + std::string(kBoundary) + "-x").status.ok());
  EXPECT_THAT(std::string(ParseWhole("--" + std::string(kBoundary) + "\rx").status.message()),
              HasSubstr("CR without LF"));
  EXPECT_THAT(
      std::string(
          ParseWhole("--" + std::string(kBoundary) + std::string(2000, ' ')).status.message()),
      HasSubstr("too much padding"));
}

TEST(MultipartParserTest, HeaderBlockTooLarge) {
  MultipartLimits limits;
  limits.max_header_bytes = 100;
  const std::string fits = "--" + std::string(kBoundary) +
                           "\r\nContent-Disposition: form-data; name=\"" + std::string(40, 'n') +
                           "\"\r\n\r\nv\r\n" + Close();
  EXPECT_TRUE(ParseWhole(fits, limits).status.ok());
  const std::string big = TextPart(std::string(200, 'n'), "v") + Close();
  Recorder result = ParseWhole(big, limits);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status.message(), "part 1: headers are larger than 100 bytes");
  // Headers that never end are cut off at the limit, not buffered forever.
  Recorder endless =
      ParseInChunksOf("--" + std::string(kBoundary) + "\r\n" + std::string(100000, 'h'), 7);
  EXPECT_THAT(std::string(endless.status.message()), HasSubstr("headers are larger than 16384"));
}

TEST(MultipartParserTest, TooManyParts) {
  MultipartLimits limits;
  limits.max_parts = 2;
  EXPECT_TRUE(ParseWhole(TextPart("a", "1") + TextPart("b", "2") + Close(), limits).status.ok());
  Recorder result =
      ParseWhole(TextPart("a", "1") + TextPart("b", "2") + TextPart("c", "3") + Close(), limits);
  EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(result.status.message(), "the multipart body has more than 2 parts");
  EXPECT_EQ(result.parts.size(), 2u);
}

TEST(MultipartParserTest, BadPartHeaders) {
  auto error = [](const std::string& headers) {
    Recorder result =
        ParseWhole("--" + std::string(kBoundary) + "\r\n" + headers + "\r\n\r\ndata\r\n" + Close());
    EXPECT_EQ(result.status.code(), absl::StatusCode::kInvalidArgument) << headers;
    EXPECT_TRUE(result.parts.empty());
    return std::string(result.status.message());
  };
  EXPECT_EQ(error("Content-Type: text/plain"), "part 1 has no Content-Disposition header");
  EXPECT_THAT(error("Content-Disposition: attachment; name=\"a\""),
              HasSubstr("Content-Disposition must be form-data, got 'attachment'"));
  EXPECT_THAT(error("Content-Disposition: form-data"),
              HasSubstr("Content-Disposition has no name"));
  EXPECT_THAT(error("Content-Disposition: form-data; name=\"\""), HasSubstr("has no name"));
  EXPECT_THAT(error("Content-Disposition: form-data; filename=\"a\""), HasSubstr("has no name"));
  EXPECT_THAT(error("Content-Disposition: form-data; name=\"a"),
              HasSubstr("bad Content-Disposition: parameter 'name' has an unterminated quoted"));
  EXPECT_THAT(error("Content-Disposition: form-data; name"), HasSubstr("'name' has no value"));
  EXPECT_THAT(error("Content-Disposition: form-data; name=a; name=b"), HasSubstr("given twice"));
  EXPECT_THAT(error("Content-Disposition: form-data; name=\"a\"x"),
              HasSubstr("unexpected character 'x'"));
  EXPECT_THAT(error("Content-Disposition form-data; name=a"), HasSubstr("malformed header line"));
  EXPECT_THAT(
      error("Content-Disposition: form-data; name=a\r\nContent-Disposition: form-data; name=b"),
      HasSubstr("two Content-Disposition headers"));
  // No headers at all.
  Recorder empty = ParseWhole("--" + std::string(kBoundary) + "\r\n\r\ndata\r\n" + Close());
  EXPECT_THAT(std::string(empty.status.message()), HasSubstr("no Content-Disposition"));
}

TEST(MultipartParserTest, FoldedHeaderLinesAreJoined) {
  Recorder result =
      ParseWhole("--" + std::string(kBoundary) +
                 "\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\nv\r\n" + Close());
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.parts[0].headers.name, "a");
}

TEST(MultipartParserTest, CallbackErrorsStopTheParser) {
  int data_calls = 0;
  int ends = 0;
  MultipartParser parser(kBoundary,
                         {nullptr,
                          [&](std::string_view) {
                            ++data_calls;
                            return absl::ResourceExhaustedError("upload too large");
                          },
                          [&]() {
                            ++ends;
                            return absl::OkStatus();
                          }},
                         {});
  const std::string body = SampleBody();
  absl::Status status = parser.Feed(body);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(parser.Feed(body).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(parser.Finish().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(data_calls, 1);
  EXPECT_EQ(ends, 0);

  MultipartParser rejecting(
      kBoundary, {[](const PartHeaders& h) { return absl::InvalidArgumentError("no " + h.name); },
                  nullptr, nullptr});
  EXPECT_EQ(rejecting.Feed(body).message(), "no file");
}

TEST(MultipartParserTest, MissingCallbacksAreNoOps) {
  MultipartParser parser(kBoundary, {}, {});
  EXPECT_TRUE(parser.Feed(SampleBody()).ok());
  EXPECT_TRUE(parser.Finish().ok());
  EXPECT_EQ(parser.Feed("more").code(), absl::StatusCode::kFailedPrecondition);
}

TEST(MultipartParserTest, InvalidBoundaryFailsTheFirstFeed) {
  for (const std::string& boundary : {std::string(), std::string(71, 'b'), std::string("a\rb")}) {
    MultipartParser parser(boundary, {}, {});
    EXPECT_EQ(parser.Feed("--").code(), absl::StatusCode::kInvalidArgument) << boundary;
    EXPECT_EQ(parser.Finish().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(BoundaryFromContentTypeTest, AcceptsCommonForms) {
  struct Case {
    std::string content_type;
    std::string boundary;
  };
  const std::vector<Case> cases = {
      {"multipart/form-data; boundary=abc123", "abc123"},
      {"multipart/form-data;boundary=abc", "abc"},
      {"Multipart/Form-Data; BOUNDARY=abc", "abc"},
      {"multipart/form-data; charset=utf-8; boundary=abc", "abc"},
      {"multipart/form-data; boundary=abc; charset=utf-8", "abc"},
      {"  multipart/form-data ;  boundary = abc  ", "abc"},
      {"multipart/form-data; boundary=\"quoted boundary\"", "quoted boundary"},
      {"multipart/form-data; boundary=\"with:colon=and?\"", "with:colon=and?"},
      {"multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
       "----WebKitFormBoundary7MA4YWxkTrZu0gW"},
      {"multipart/form-data; boundary=" + std::string(70, 'b'), std::string(70, 'b')},
      {"multipart/form-data; boundary='()+_,-./:=?", "'()+_,-./:=?"},
  };
  for (const Case& c : cases) {
    auto boundary = MultipartParser::BoundaryFromContentType(c.content_type);
    ASSERT_TRUE(boundary.ok()) << c.content_type << ": " << boundary.status();
    EXPECT_EQ(*boundary, c.boundary) << c.content_type;
  }
}

TEST(BoundaryFromContentTypeTest, RejectsOtherTypesAndBadBoundaries) {
  auto error = [](const std::string& content_type) {
    auto boundary = MultipartParser::BoundaryFromContentType(content_type);
    EXPECT_EQ(boundary.status().code(), absl::StatusCode::kInvalidArgument) << content_type;
    return std::string(boundary.status().message());
  };
  EXPECT_EQ(error("application/json"),
            "expected Content-Type multipart/form-data, got 'application/json'");
  EXPECT_THAT(error("multipart/mixed; boundary=abc"), HasSubstr("got 'multipart/mixed'"));
  EXPECT_THAT(error(""), HasSubstr("expected Content-Type multipart/form-data"));
  EXPECT_EQ(error("multipart/form-data"),
            "Content-Type multipart/form-data has no boundary parameter");
  EXPECT_THAT(error("multipart/form-data; charset=utf-8"), HasSubstr("no boundary"));
  EXPECT_THAT(error("multipart/form-data; boundary=\"\""), HasSubstr("invalid multipart boundary"));
  EXPECT_THAT(error("multipart/form-data; boundary="), HasSubstr("has an empty value"));
  EXPECT_THAT(error("multipart/form-data; boundary=" + std::string(71, 'b')), HasSubstr("1-70"));
  EXPECT_THAT(error("multipart/form-data; boundary=a@b"), HasSubstr("invalid multipart boundary"));
  EXPECT_THAT(error("multipart/form-data; boundary=\"a;b\""),
              HasSubstr("invalid multipart boundary"));
  EXPECT_THAT(error("multipart/form-data; boundary=\"ends in space \""),
              HasSubstr("not ending in a space"));
  EXPECT_THAT(error("multipart/form-data; boundary=\"unterminated"), HasSubstr("unterminated"));
  EXPECT_THAT(error("multipart/form-data; boundary=a; boundary=b"), HasSubstr("given twice"));
}

TEST(BoundaryFromContentTypeTest, ParsedBoundaryDrivesTheParser) {
  auto boundary = MultipartParser::BoundaryFromContentType("multipart/form-data; boundary=\"" +
                                                           std::string(kBoundary) + "\"");
  ASSERT_TRUE(boundary.ok()) << boundary.status();
  Recorder result = ParseChunks({SampleBody()}, {}, *boundary);
  ASSERT_TRUE(result.status.ok()) << result.status;
  EXPECT_EQ(result.parts, SampleParts());
}

}  // namespace
}  // namespace aiaas::server
