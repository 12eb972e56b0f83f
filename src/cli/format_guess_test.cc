#include "cli/format_guess.h"

#include "gtest/gtest.h"

namespace aiaas::cli {
namespace {

TEST(GuessFormatFromPathTest, KnownExtensions) {
  EXPECT_EQ(GuessFormatFromPath("mlp.pt"), "torchscript");
  EXPECT_EQ(GuessFormatFromPath("dir/mlp.pth"), "torchscript");
  EXPECT_EQ(GuessFormatFromPath("/abs/model.torchscript"), "torchscript");
  EXPECT_EQ(GuessFormatFromPath("MODEL.PT"), "torchscript");
  EXPECT_EQ(GuessFormatFromPath("resnet.v2.onnx"), "onnx");
  EXPECT_EQ(GuessFormatFromPath("x.Onnx"), "onnx");
}

TEST(GuessFormatFromPathTest, UnknownNeedsFormatFlag) {
  EXPECT_EQ(GuessFormatFromPath("model.bin"), std::nullopt);
  EXPECT_EQ(GuessFormatFromPath("model"), std::nullopt);
  EXPECT_EQ(GuessFormatFromPath("model.pt.gz"), std::nullopt);
  EXPECT_EQ(GuessFormatFromPath("dir.pt/model"), std::nullopt);
  EXPECT_EQ(GuessFormatFromPath(".pt"), std::nullopt);
  EXPECT_EQ(GuessFormatFromPath(""), std::nullopt);
}

}  // namespace
}  // namespace aiaas::cli
