#include "runtime/onnx/interpreter.h"

#include <ATen/ATen.h>
#include <c10/util/intrusive_ptr.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "onnx/onnx_pb.h"
#include "runtime/onnx/op_families.h"
#include "runtime/onnx/op_util.h"
#include "runtime/onnx/test_models.h"

namespace aiaas::runtime::onnxrt {
namespace {

using ::testing::HasSubstr;
using testing::Compile;
using testing::ModelBuilder;

constexpr int32_t kFloat = onnx::TensorProto::FLOAT;
constexpr char kTestDomain[] = "test.aiaas";

using WeakTensor = c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;

// Test operators, in their own domain, that observe the interpreter from inside.
struct Probes {
  std::vector<WeakTensor> watched;  // tensors seen by test.Watch
  std::atomic<int> random_calls{0};
};

OpRegistry RegistryWithProbes(const std::shared_ptr<Probes>& probes) {
  OpRegistry registry;
  RegisterAllOps(registry);
  // Watch(x) = x, remembering a weak reference to x's storage.
  registry.AddInDomain(kTestDomain, "Watch", {1, 1}, [probes](const KernelContext& context) {
    probes->watched.emplace_back(context.input(0).getIntrusivePtr());
    return absl::StatusOr<std::vector<at::Tensor>>(Single(context.input(0)));
  });
  // ExpectFreed(x) = x if every watched tensor has been released already.
  registry.AddInDomain(kTestDomain, "ExpectFreed", {1, 1},
                       [probes](const KernelContext& context)
                           -> absl::StatusOr<std::vector<at::Tensor>> {
                         for (const WeakTensor& weak : probes->watched) {
                           if (!weak.expired()) {
                             return absl::FailedPreconditionError("a watched tensor is alive");
                           }
                         }
                         return Single(context.input(0));
                       });
  // Random() = a new scalar each call; must never be folded.
  registry.AddInDomain(
      kTestDomain, "Random", {1, 1},
      [probes](const KernelContext&) -> absl::StatusOr<std::vector<at::Tensor>> {
        return Single(at::scalar_tensor(static_cast<float>(++probes->random_calls)));
      },
      Determinism::kNondeterministic);
  // If comes from RegisterAllOps (ops_control.cc) and exercises subgraphs.
  return registry;
}

TEST(InterpreterTest, IntermediatesAreFreedAfterTheirLastReader) {
  auto probes = std::make_shared<Probes>();
  const OpRegistry registry = RegistryWithProbes(probes);
  ModelBuilder builder;
  builder.Import(kTestDomain, 1);
  builder.Input("x", kFloat, {2, 2}).Output("y", kFloat, {2, 2});
  builder.Node("Relu", {"x"}, {"a"});
  builder.Node("Watch", {"a"}, {"a2"}).set_domain(kTestDomain);
  builder.Node("Sigmoid", {"a2"}, {"b"});  // the last reader of a / a2
  builder.Node("ExpectFreed", {"b"}, {"y"}).set_domain(kTestDomain);
  auto interpreter = Compile(builder.Bytes(), registry);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  auto outputs = (*interpreter)->Run({at::ones({2, 2})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_TRUE(at::allclose((*outputs)[0], at::sigmoid(at::ones({2, 2}))));
}

TEST(InterpreterTest, GraphOutputsAreKeptEvenWhenAlsoReadLater) {
  auto probes = std::make_shared<Probes>();
  const OpRegistry registry = RegistryWithProbes(probes);
  ModelBuilder builder;
  builder.Import(kTestDomain, 1);
  builder.Input("x", kFloat, {2}).Output("a", kFloat, {2}).Output("y", kFloat, {2});
  builder.Node("Relu", {"x"}, {"r"});
  builder.Node("Watch", {"r"}, {"a"}).set_domain(kTestDomain);
  builder.Node("Tanh", {"a"}, {"t"});
  builder.Node("ExpectFreed", {"t"}, {"y"}).set_domain(kTestDomain);
  auto interpreter = Compile(builder.Bytes(), registry);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  auto outputs = (*interpreter)->Run({at::ones({2})});
  ASSERT_FALSE(outputs.ok());  // "a" is an output, so it must still be alive
  EXPECT_THAT(std::string(outputs.status().message()), HasSubstr("watched tensor is alive"));
}

TEST(InterpreterTest, ConstantSubexpressionsAreFoldedAtLoad) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {3}).Output("y", kFloat, {3}).Initializer("b", at::ones({3}));
  testing::SetTensor(builder.Node("Constant", {}, {"c"}), "value", at::full({3}, 2.0f));
  builder.Node("Add", {"c", "b"}, {"s"}, "fold_me");  // 3
  builder.Node("Mul", {"x", "s"}, {"y"}, "runs");
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  EXPECT_EQ((*interpreter)->folded_node_count(), 2);
  EXPECT_EQ((*interpreter)->node_count(), 1);
  // Only the folded value stays: the initializer and the Constant were consumed.
  EXPECT_EQ((*interpreter)->constant_bytes(), 3 * 4);
  auto outputs = (*interpreter)->Run({at::tensor({1.0f, 2.0f, 3.0f})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_TRUE(at::equal((*outputs)[0], at::tensor({3.0f, 6.0f, 9.0f})));
}

TEST(InterpreterTest, FoldingCanBeDisabledOrLimitedBySize) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {100}).Output("y", kFloat, {100});
  testing::SetTensor(builder.Node("Constant", {}, {"c"}), "value", at::ones({100}));
  builder.Node("Add", {"x", "c"}, {"y"});
  PlanOptions small;
  small.max_folded_bytes = 16;
  auto limited = Compile(builder.Bytes(), testing::AllOps(), small);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ((*limited)->folded_node_count(), 0);
  PlanOptions off;
  off.fold_constants = false;
  auto unfolded = Compile(builder.Bytes(), testing::AllOps(), off);
  ASSERT_TRUE(unfolded.ok());
  EXPECT_EQ((*unfolded)->node_count(), 2);
  auto outputs = (*unfolded)->Run({at::zeros({100})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_TRUE(at::equal((*outputs)[0], at::ones({100})));
}

TEST(InterpreterTest, FoldingKnowsTheOutputSizeBeforeRunningTheKernel) {
  // fuzz/regressions/onnx_loader/fold_1gib_constant_of_shape: folding ran the kernel
  // first, so this 1 GiB tensor was allocated and filled before the size check.
  ModelBuilder huge;
  huge.Output("y", kFloat, {16384, 16384});
  huge.Initializer("shape", at::tensor({16384, 16384}, at::kLong));
  huge.Node("ConstantOfShape", {"shape"}, {"y"});
  auto unfolded = Compile(huge.Bytes());
  ASSERT_TRUE(unfolded.ok()) << unfolded.status();
  EXPECT_EQ((*unfolded)->folded_node_count(), 0);
  EXPECT_EQ((*unfolded)->node_count(), 1);

  // Small shape computations from constants still fold, through Shape and ConstantOfShape.
  ModelBuilder small;
  small.Input("x", kFloat, {2, 3}).Output("y", kFloat, {2, 3});
  small.Initializer("w", at::zeros({2, 3}));
  small.Node("Shape", {"w"}, {"s"});
  small.Node("ConstantOfShape", {"s"}, {"c"});
  small.Node("Add", {"x", "c"}, {"y"});
  auto folded = Compile(small.Bytes());
  ASSERT_TRUE(folded.ok()) << folded.status();
  EXPECT_EQ((*folded)->folded_node_count(), 2);
  auto outputs = (*folded)->Run({at::ones({2, 3})});
  ASSERT_TRUE(outputs.ok()) << outputs.status();
  EXPECT_TRUE(at::equal((*outputs)[0], at::ones({2, 3})));
}

TEST(InterpreterTest, NondeterministicNodesAreNeverFolded) {
  auto probes = std::make_shared<Probes>();
  const OpRegistry registry = RegistryWithProbes(probes);
  ModelBuilder builder;
  builder.Import(kTestDomain, 1);
  builder.Input("x", kFloat, {}).Output("y", kFloat, {});
  builder.Node("Random", {}, {"r"}).set_domain(kTestDomain);
  builder.Node("Add", {"x", "r"}, {"y"});
  auto interpreter = Compile(builder.Bytes(), registry);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  EXPECT_EQ((*interpreter)->folded_node_count(), 0);
  EXPECT_EQ((*(*interpreter)->Run({at::scalar_tensor(0.0f)}))[0].item<float>(), 1.0f);
  EXPECT_EQ((*(*interpreter)->Run({at::scalar_tensor(0.0f)}))[0].item<float>(), 2.0f);
}

TEST(InterpreterTest, SubgraphsReadValuesOfTheEnclosingGraph) {
  auto probes = std::make_shared<Probes>();
  const OpRegistry registry = RegistryWithProbes(probes);
  ModelBuilder builder;
  builder.Input("cond", onnx::TensorProto::BOOL, {}).Input("x", kFloat, {2});
  builder.Output("y", kFloat, {2});
  builder.Node("Relu", {"x"}, {"rx"}, "outer_relu");
  onnx::NodeProto& node = builder.Node("If", {"cond"}, {"y"}, "branch");
  onnx::GraphProto& then_branch = testing::SetGraph(node, "then_branch");
  auto* add = then_branch.add_node();
  add->set_op_type("Add");
  add->add_input("rx");  // from the enclosing graph
  add->add_input("x");
  add->add_output("then_out");
  testing::AddValue(then_branch, false, "then_out", kFloat, {2});
  onnx::GraphProto& else_branch = testing::SetGraph(node, "else_branch");
  auto* neg = else_branch.add_node();
  neg->set_op_type("Sub");
  neg->add_input("x");
  neg->add_input("rx");
  neg->add_output("else_out");
  testing::AddValue(else_branch, false, "else_out", kFloat, {2});
  auto interpreter = Compile(builder.Bytes(), registry);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  const at::Tensor x = at::tensor({-1.0f, 2.0f});
  auto then_outputs = (*interpreter)->Run({at::scalar_tensor(true, at::kBool), x});
  ASSERT_TRUE(then_outputs.ok()) << then_outputs.status();
  EXPECT_TRUE(at::equal((*then_outputs)[0], at::tensor({-1.0f, 4.0f})));
  auto else_outputs = (*interpreter)->Run({at::scalar_tensor(false, at::kBool), x});
  ASSERT_TRUE(else_outputs.ok()) << else_outputs.status();
  EXPECT_TRUE(at::equal((*else_outputs)[0], at::tensor({-1.0f, 0.0f})));
}

TEST(InterpreterTest, KernelErrorsNameTheNode) {
  ModelBuilder builder;
  builder.Input("a", kFloat, {testing::kDynamic, testing::kDynamic})
      .Input("b", kFloat, {testing::kDynamic, testing::kDynamic})
      .Output("y", kFloat, {testing::kDynamic, testing::kDynamic});
  builder.Node("MatMul", {"a", "b"}, {"y"}, "product");
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  auto outputs = (*interpreter)->Run({at::ones({2, 3}), at::ones({4, 2})});
  ASSERT_FALSE(outputs.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(outputs.status())) << outputs.status();
  EXPECT_THAT(std::string(outputs.status().message()), HasSubstr("node 'product' (MatMul)"));
}

TEST(InterpreterTest, InputsAreCheckedAgainstTheGraph) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {testing::kDynamic, 3}).Output("y", kFloat, {testing::kDynamic, 3});
  builder.Node("Relu", {"x"}, {"y"});
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok());
  ASSERT_EQ((*interpreter)->inputs().size(), 1u);
  EXPECT_EQ((*interpreter)->inputs()[0].shape, (std::vector<int64_t>{-1, 3}));
  EXPECT_TRUE((*interpreter)->Run({at::ones({5, 3})}).ok());
  auto wrong_type = (*interpreter)->Run({at::ones({5, 3}, at::kDouble)});
  EXPECT_THAT(std::string(wrong_type.status().message()), HasSubstr("FLOAT"));
  auto wrong_dim = (*interpreter)->Run({at::ones({5, 4})});
  EXPECT_TRUE(absl::IsInvalidArgument(wrong_dim.status()));
  EXPECT_TRUE(absl::IsInvalidArgument((*interpreter)->Run({}).status()));
}

TEST(InterpreterTest, InitializersWithGraphInputsAreConstantsNotInputs) {
  ModelBuilder builder(9);  // IR 3 style: weights listed among the graph inputs
  builder.Input("x", kFloat, {2}).Input("w", kFloat, {2}).Output("y", kFloat, {2});
  builder.Initializer("w", at::full({2}, 3.0f));
  builder.Node("Mul", {"x", "w"}, {"y"});
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  ASSERT_EQ((*interpreter)->inputs().size(), 1u);
  auto outputs = (*interpreter)->Run({at::ones({2})});
  ASSERT_TRUE(outputs.ok());
  EXPECT_TRUE(at::equal((*outputs)[0], at::full({2}, 3.0f)));
}

TEST(InterpreterTest, ConcurrentRunsAreIndependent) {
  ModelBuilder builder;
  builder.Input("x", kFloat, {testing::kDynamic, 8}).Output("y", kFloat, {testing::kDynamic, 4});
  builder.Initializer("w", at::arange(32, at::kFloat).reshape({8, 4}) / 32.0);
  builder.Initializer("b", at::ones({4}));
  builder.Node("Gemm", {"x", "w", "b"}, {"h"});
  builder.Node("Tanh", {"h"}, {"y"});
  auto interpreter = Compile(builder.Bytes());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  const at::Tensor w = at::arange(32, at::kFloat).reshape({8, 4}) / 32.0;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const at::Tensor x = at::full({1 + (t + i) % 3, 8}, static_cast<float>(t * 100 + i) / 500);
        auto outputs = (*interpreter)->Run({x});
        if (!outputs.ok() || !at::allclose((*outputs)[0], at::tanh(at::mm(x, w) + 1))) {
          ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace aiaas::runtime::onnxrt
