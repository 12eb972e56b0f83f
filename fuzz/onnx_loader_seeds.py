#!/usr/bin/python3
"""Regenerates the onnx_loader seed corpus (fuzz/corpus/onnx_loader/) and dictionary.

Seeds are small models from ONNX's backend test data (Debian's libonnx-testdata), one
per operator this server runs (tests/onnx/baseline.txt), in two forms:
  - <case>.onnx: the test model as is (inputs are graph inputs);
  - <case>.folded.onnx: the same model with its test inputs turned into initializers,
    so loading it folds the whole graph, running the operator's ATen kernel at load
    time on values the fuzzer can then mutate (dims, data, attributes).
plus a few hand-built models for what the test data lacks (raw_data and typed
initializers, Constant chains, a model-local function, an If subgraph reading an outer
value). Also writes hand-made edge cases the loader must refuse cleanly to
fuzz/regressions/onnx_loader/ (replayed by ctest fuzz_replay_onnx_loader). Usage: /usr/bin/python3 fuzz/onnx_loader_seeds.py   (needs python3-onnx)
"""
import os
import re

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = "/usr/share/libonnx-testdata/data/node"
CORPUS = os.path.join(ROOT, "fuzz", "corpus", "onnx_loader")
REGRESSIONS = os.path.join(ROOT, "fuzz", "regressions", "onnx_loader")
FINDINGS = os.path.join(ROOT, "fuzz", "findings", "onnx_loader")
# Edge cases the loader does not handle yet (fuzz/findings/onnx_loader/README.md): written
# there instead of to the replayed regressions until fixed.
OPEN_FINDINGS = {"fold_huge_constant_of_shape", "fold_1gib_constant_of_shape"}
DICT = os.path.join(ROOT, "fuzz", "dicts", "onnx_loader.dict")
MAX_SEED_BYTES = 2048
MAX_FOLDED_INPUT_BYTES = 1024


def baseline_cases():
    with open(os.path.join(ROOT, "tests", "onnx", "baseline.txt")) as f:
        return [line.split("/", 1)[1] for line in (l.strip() for l in f)
                if line.startswith("node/")]


def one_case_per_family(cases):
    """The shortest-named case of each operator (test_<op>[_variant])."""
    by_family = {}
    for case in cases:
        family = re.sub(r"_(expanded|example|random|default).*$", "", case)
        family = re.sub(r"(\d+d|_bcast.*)$", "", "_".join(family.split("_")[:2]))
        if family not in by_family or len(case) < len(by_family[family]):
            by_family[family] = case
    return sorted(by_family.values())


def folded(model, case_dir):
    """`model` with its test inputs as initializers, or None when they are too big."""
    data_dir = os.path.join(case_dir, "test_data_set_0")
    graph = model.graph
    inputs = []
    for i, value in enumerate(graph.input):
        path = os.path.join(data_dir, "input_%d.pb" % i)
        if not os.path.exists(path):
            return None
        tensor = TensorProto()
        with open(path, "rb") as f:
            tensor.ParseFromString(f.read())
        if tensor.data_type in (TensorProto.STRING, TensorProto.UNDEFINED):
            return None
        tensor.name = value.name
        inputs.append(tensor)
    if sum(t.ByteSize() for t in inputs) > MAX_FOLDED_INPUT_BYTES:
        return None
    result = onnx.ModelProto()
    result.CopyFrom(model)
    del result.graph.input[:]
    result.graph.initializer.extend(inputs)
    return result


def write(name, model):
    data = model.SerializeToString()
    if len(data) > MAX_SEED_BYTES:
        return False
    with open(os.path.join(CORPUS, name), "wb") as f:
        f.write(data)
    return True


def tensor_value(name, elem_type, dims):
    return helper.make_tensor_value_info(name, elem_type, dims)


def hand_built():
    """Models for features the node test data does not cover."""
    models = {}
    # Initializers in raw_data and in typed fields, a Constant, a folded chain, a graph
    # input that has an initializer (a default value), an unused initializer.
    w = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "W")
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [3, 2])
    bias = helper.make_tensor("B", TensorProto.FLOAT, [2], [0.5, -0.5])
    unused = helper.make_tensor("unused", TensorProto.INT32, [1], [7])
    nodes = [
        helper.make_node("Constant", [], ["c"], value=helper.make_tensor(
            "c", TensorProto.FLOAT, [1], [2.0])),
        helper.make_node("Mul", ["W", "c"], ["w2"]),
        helper.make_node("Reshape", ["w2", "shape"], ["w3"]),
        helper.make_node("MatMul", ["X", "w3"], ["xw"]),
        helper.make_node("Add", ["xw", "B"], ["Y"]),
    ]
    graph = helper.make_graph(nodes, "folding", [tensor_value("X", TensorProto.FLOAT, [1, 3]),
                                                 tensor_value("B", TensorProto.FLOAT, [2])],
                              [tensor_value("Y", TensorProto.FLOAT, [1, 2])],
                              [w, shape, bias, unused])
    models["folding_chain"] = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])

    # An If whose branches read values of the enclosing graph.
    then_graph = helper.make_graph([helper.make_node("Add", ["X", "one"], ["t"])], "then", [],
                                   [tensor_value("t", TensorProto.FLOAT, [2])])
    else_graph = helper.make_graph([helper.make_node("Neg", ["X"], ["e"])], "else", [],
                                   [tensor_value("e", TensorProto.FLOAT, [2])])
    graph = helper.make_graph(
        [helper.make_node("Constant", [], ["one"], value_float=1.0),
         helper.make_node("If", ["cond"], ["Y"], then_branch=then_graph, else_branch=else_graph)],
        "if_outer", [tensor_value("cond", TensorProto.BOOL, []),
                     tensor_value("X", TensorProto.FLOAT, [2])],
        [tensor_value("Y", TensorProto.FLOAT, [2])])
    models["if_outer_scope"] = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])

    # A model-local function.
    function = helper.make_function("local", "Double", ["a"], ["b"],
                                    [helper.make_node("Add", ["a", "a"], ["b"])],
                                    [helper.make_opsetid("", 13)])
    graph = helper.make_graph([helper.make_node("Double", ["X"], ["Y"], domain="local")],
                              "function", [tensor_value("X", TensorProto.FLOAT, [2])],
                              [tensor_value("Y", TensorProto.FLOAT, [2])])
    models["local_function"] = helper.make_model(
        graph, functions=[function],
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("local", 1)])

    # Shapes folded from constants into ops that allocate by value.
    graph = helper.make_graph(
        [helper.make_node("ConstantOfShape", ["dims"], ["z"],
                          value=helper.make_tensor("v", TensorProto.FLOAT, [1], [1.0])),
         helper.make_node("Expand", ["z", "dims"], ["e"]),
         helper.make_node("Tile", ["e", "reps"], ["t"]),
         helper.make_node("Add", ["t", "X"], ["Y"])],
        "allocating", [tensor_value("X", TensorProto.FLOAT, [2, 6])],
        [tensor_value("Y", TensorProto.FLOAT, [2, 6])],
        [helper.make_tensor("dims", TensorProto.INT64, [2], [2, 3]),
         helper.make_tensor("reps", TensorProto.INT64, [2], [1, 2])])
    models["allocating_ops"] = helper.make_model(graph,
                                                 opset_imports=[helper.make_opsetid("", 13)])
    for model in models.values():
        model.ir_version = 8
        onnx.checker.check_model(model)
    return models


def edge_cases():
    """Malformed or hostile models, by file name: each must be refused or loaded cleanly."""
    def model(nodes, inputs, outputs, initializers=(), opset=13, ir_version=8):
        graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
        result = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        result.ir_version = ir_version
        return result.SerializeToString()

    x = tensor_value("X", TensorProto.FLOAT, [2])
    y = tensor_value("Y", TensorProto.FLOAT, [2])
    relu = model([helper.make_node("Relu", ["X"], ["Y"])], [x], [y])
    cases = {"truncated": relu[:-3], "not_protobuf": b"\xff" * 16}
    cases["ir_version_0"] = model([helper.make_node("Relu", ["X"], ["Y"])], [x], [y], ir_version=0)
    cases["opset_99"] = model([helper.make_node("Relu", ["X"], ["Y"])], [x], [y], opset=99)
    cases["cycle"] = model([helper.make_node("Add", ["X", "b"], ["a"]),
                            helper.make_node("Relu", ["a"], ["b"]),
                            helper.make_node("Identity", ["a"], ["Y"])], [x], [y])
    cases["undefined_input"] = model([helper.make_node("Add", ["X", "nowhere"], ["Y"])], [x], [y])
    cases["defined_twice"] = model([helper.make_node("Relu", ["X"], ["Y"]),
                                    helper.make_node("Neg", ["X"], ["Y"])], [x], [y])
    external = helper.make_tensor("W", TensorProto.FLOAT, [2], [1.0, 2.0])
    external.ClearField("float_data")
    external.data_location = TensorProto.EXTERNAL
    entry = external.external_data.add()
    entry.key, entry.value = "location", "../../etc/passwd"
    cases["external_data"] = model([helper.make_node("Add", ["X", "W"], ["Y"])], [x], [y],
                                   [external])
    overflow = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1 << 40, 1 << 40])
    cases["dims_overflow"] = model([helper.make_node("Add", ["X", "W"], ["Y"])], [x], [y],
                                   [overflow])
    short = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1 << 20],
                        raw_data=b"\0" * 8)
    cases["raw_data_short"] = model([helper.make_node("Add", ["X", "W"], ["Y"])], [x], [y],
                                    [short])
    # A few bytes asking constant folding for a 2^40-element tensor.
    any_shape = tensor_value("Y", TensorProto.FLOAT, ["rows", "cols"])
    cases["fold_huge_constant_of_shape"] = model(
        [helper.make_node("ConstantOfShape", ["dims"], ["Y"])], [], [any_shape],
        [helper.make_tensor("dims", TensorProto.INT64, [2], [1 << 20, 1 << 20])])
    # ... and for a 1 GiB one, which an allocator can satisfy.
    cases["fold_1gib_constant_of_shape"] = model(
        [helper.make_node("ConstantOfShape", ["dims"], ["Y"])], [], [any_shape],
        [helper.make_tensor("dims", TensorProto.INT64, [2], [1 << 14, 1 << 14])])
    deep = helper.make_graph([helper.make_node("Identity", ["X"], ["Y"])], "leaf", [], [y])
    for level in range(30):  # 3 protobuf levels each: just under protobuf's limit of 100
        deep = helper.make_graph(
            [helper.make_node("If", ["cond"], ["Y"], then_branch=deep, else_branch=deep)]
            if level < 2 else
            [helper.make_node("If", ["cond"], ["Y"], then_branch=deep,
                              else_branch=helper.make_graph(
                                  [helper.make_node("Identity", ["X"], ["Y"])], "e", [], [y]))],
            "level%d" % level, [], [y])
    cases["deep_if_nesting"] = model(list(deep.node), [tensor_value("cond", TensorProto.BOOL, []),
                                                        x], [y])
    return cases


def write_dict(op_types):
    attributes = set()
    for schema in onnx.defs.get_all_schemas():
        if schema.domain == "":
            attributes.update(schema.attributes.keys())
    with open(DICT, "w") as f:
        f.write("# libFuzzer dictionary for onnx_loader_fuzz (generated by "
                "fuzz/onnx_loader_seeds.py):\n# operator and attribute names, domains, "
                "and common ModelProto field headers.\n")
        for word in sorted(op_types | attributes | {"ai.onnx", "ai.onnx.ml", "com.microsoft",
                                                      "location", "external"}):
            f.write('"%s"\n' % word)
        # ir_version 8, opset_import {version 13}, graph field, node field, dims.
        for raw in ("\\x08\\x08", "\\x42\\x02\\x10\\x0d", "\\x3a", "\\x0a", "\\x08\\xff\\xff"
                    "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x01"):
            f.write('"%s"\n' % raw)


def main():
    os.makedirs(CORPUS, exist_ok=True)
    op_types = set()
    written = 0
    for case in one_case_per_family(baseline_cases()):
        case_dir = os.path.join(TESTDATA, case)
        model = onnx.load(os.path.join(case_dir, "model.onnx"))
        op_types.update(node.op_type for node in model.graph.node)
        if write(case + ".onnx", model):
            written += 1
        folded_model = folded(model, case_dir)
        if folded_model is not None and write(case + ".folded.onnx", folded_model):
            written += 1
    for name, model in hand_built().items():
        written += write(name + ".onnx", model)
    write_dict(op_types)
    os.makedirs(REGRESSIONS, exist_ok=True)
    for name, data in edge_cases().items():
        with open(os.path.join(FINDINGS if name in OPEN_FINDINGS else REGRESSIONS, name),
                  "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s and %s" % (written, CORPUS, DICT))


if __name__ == "__main__":
    main()
