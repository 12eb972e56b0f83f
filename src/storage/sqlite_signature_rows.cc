#include "storage/sqlite_signature_rows.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace aiaas::storage::sqlite {
namespace {

constexpr Query kInsertTensor = {
    "insert signature",
    "INSERT INTO version_tensors(version_id, io, position, name, dtype, shape)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"};
constexpr Query kSelectTensors = {
    "read signature",
    "SELECT io, name, dtype, shape FROM version_tensors WHERE version_id = ?1"
    " ORDER BY io, position"};

constexpr char kInput[] = "input";
constexpr char kOutput[] = "output";

std::optional<std::string> EncodeDataType(const std::optional<DataType>& dtype) {
  if (!dtype.has_value()) return std::nullopt;
  const std::string_view name = DataTypeName(*dtype);
  return std::string(name.data(), name.size());
}

std::optional<std::string> EncodeShape(const std::optional<std::vector<int64_t>>& shape) {
  if (!shape.has_value()) return std::nullopt;
  return absl::StrJoin(*shape, ",");
}

absl::StatusOr<std::vector<int64_t>> DecodeShape(const std::string& text) {
  std::vector<int64_t> shape;
  if (text.empty()) return shape;  // a scalar
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t dim = 0;
    if (!absl::SimpleAtoi(part, &dim)) {
      return absl::InternalError(absl::StrCat("sqlite: corrupt tensor shape '", text, "'"));
    }
    shape.push_back(dim);
  }
  return shape;
}

absl::Status InsertTensors(Connection& conn, int64_t version_id, const char* io,
                           const std::vector<TensorSpec>& specs) {
  for (size_t i = 0; i < specs.size(); ++i) {
    AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kInsertTensor));
    stmt.BindInt(1, version_id).BindText(2, io).BindInt(3, static_cast<int64_t>(i));
    stmt.BindText(4, specs[i].name);
    stmt.BindNullableText(5, EncodeDataType(specs[i].dtype));
    stmt.BindNullableText(6, EncodeShape(specs[i].shape));
    AIAAS_RETURN_IF_ERROR(stmt.Run());
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status InsertSignature(Connection& conn, int64_t version_id, const Signature& signature) {
  AIAAS_RETURN_IF_ERROR(InsertTensors(conn, version_id, kInput, signature.inputs));
  return InsertTensors(conn, version_id, kOutput, signature.outputs);
}

absl::StatusOr<Signature> ReadSignature(Connection& conn, int64_t version_id) {
  Signature signature;
  AIAAS_ASSIGN_OR_RETURN(Statement stmt, conn.Prepare(kSelectTensors));
  stmt.BindInt(1, version_id);
  while (true) {
    AIAAS_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return signature;
    TensorSpec spec;
    spec.name = stmt.ColumnText(1);
    if (!stmt.ColumnIsNull(2)) {
      const std::string name = stmt.ColumnText(2);
      absl::StatusOr<DataType> dtype = ParseDataType(name);
      if (!dtype.ok()) {
        return absl::InternalError(absl::StrCat("sqlite: corrupt tensor dtype '", name, "'"));
      }
      spec.dtype = *dtype;
    }
    if (!stmt.ColumnIsNull(3)) {
      AIAAS_ASSIGN_OR_RETURN(spec.shape, DecodeShape(stmt.ColumnText(3)));
    }
    (stmt.ColumnText(0) == kInput ? signature.inputs : signature.outputs)
        .push_back(std::move(spec));
  }
}

}  // namespace aiaas::storage::sqlite
