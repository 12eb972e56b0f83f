#include "cli/progress_bar.h"

#include <sstream>

#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

class ProgressBarTest : public ::testing::Test {
 protected:
  absl::Time now_ = absl::FromUnixSeconds(1000);
  std::ostringstream out_;
  ProgressBar bar_{out_, "m.pt", [this] { return now_; }};
};

TEST_F(ProgressBarTest, DrawsInPlaceAndThrottles) {
  bar_.Update(0, 2048);
  EXPECT_EQ(out_.str(), "\rm.pt  [                              ]   0%  0 B / 2.0 KiB");
  out_.str("");
  now_ += absl::Milliseconds(50);
  bar_.Update(512, 2048);  // too soon after the last draw
  EXPECT_EQ(out_.str(), "");
  now_ += absl::Milliseconds(950);
  bar_.Update(1024, 2048);
  EXPECT_EQ(out_.str(),
            "\rm.pt  [==============>               ]  50%  1.0 KiB / 2.0 KiB  1.0 KiB/s");
}

TEST_F(ProgressBarTest, CompletionDrawsOnceThenWaitsForTheServer) {
  bar_.Update(0, 2048);
  out_.str("");
  now_ += absl::Seconds(2);
  bar_.Update(2048, 2048);  // complete: drawn although throttled
  const std::string complete =
      "\rm.pt  [==============================] 100%  2.0 KiB / 2.0 KiB  1.0 KiB/s";
  EXPECT_EQ(out_.str(), complete + "  waiting for the server...");
  out_.str("");
  now_ += absl::Seconds(10);
  bar_.Update(2048, 2048);  // the server is loading the model: no redraw
  EXPECT_EQ(out_.str(), "");
  bar_.Finish();  // same numbers, note blanked out
  EXPECT_EQ(out_.str(), complete + std::string(27, ' ') + "\n");
  out_.str("");
  bar_.Finish();  // already finished
  EXPECT_EQ(out_.str(), "");
}

TEST_F(ProgressBarTest, ShorterLineOverwritesLeftovers) {
  bar_.Update(0, 0);
  const size_t first = out_.str().size();
  out_.str("");
  now_ += absl::Seconds(1);
  bar_.Update(10, 0);
  EXPECT_GE(out_.str().size(), first);
}

TEST_F(ProgressBarTest, FinishWithoutDrawingPrintsNothing) {
  bar_.Finish();
  EXPECT_EQ(out_.str(), "");
}

}  // namespace
}  // namespace aiaas::cli
