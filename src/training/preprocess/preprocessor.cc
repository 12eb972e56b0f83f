#include "training/preprocess/preprocessor.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace aiaas::training {
namespace {

// A feature column of the table with the strategy that applies to it.
struct PlannedFeature {
  const Column* column;
  MissingStrategy missing;
};

// The spec resolved against one table.
struct Plan {
  const Column* target = nullptr;  // null for kNone
  bool drop_missing_target = false;
  std::vector<PlannedFeature> features;  // dataset order
};

// The table's column names for an error message; a wide table shows the first few.
std::string ColumnList(const DataTable& table) {
  constexpr size_t kShown = 20;
  std::vector<std::string> names;
  for (const Column& column : table.columns) {
    if (names.size() == kShown) break;
    names.push_back(column.name);
  }
  std::string list = absl::StrJoin(names, ", ");
  if (table.columns.size() > kShown) {
    absl::StrAppend(&list, ", ... (", table.columns.size() - kShown, " more)");
  }
  return list;
}

absl::Status CheckColumnShape(const Column& column, size_t rows) {
  size_t cells =
      column.kind == ColumnKind::kNumeric ? column.numbers.size() : column.strings.size();
  if (column.missing.size() != rows || cells != rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("column '", column.name, "' has ", cells, " cells for ", rows, " rows"));
  }
  return absl::OkStatus();
}

absl::StatusOr<const Column*> ResolveTarget(const TargetSpec& target, const DataTable& table) {
  if (target.column.empty()) {
    if (target.kind == TargetKind::kNone) return nullptr;
    return absl::InvalidArgumentError("target: a column name is required for this task");
  }
  const Column* column = table.Find(target.column);
  if (column == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("target: no column '", target.column,
                                                   "' in the dataset (columns: ", ColumnList(table),
                                                   ")"));
  }
  if (absl::Status status = CheckColumnShape(*column, table.rows); !status.ok()) return status;
  if (target.kind == TargetKind::kRealValue && column->kind != ColumnKind::kNumeric) {
    return absl::InvalidArgumentError(absl::StrCat(
        "target '", target.column, "' is categorical; regression needs a numeric target"));
  }
  return target.kind == TargetKind::kNone ? nullptr : column;
}

absl::StatusOr<MissingStrategy> StrategyFor(const PreprocessSpec& spec, const Column& column) {
  bool categorical = column.kind == ColumnKind::kCategorical;
  auto listed = spec.missing_by_column.find(column.name);
  if (listed != spec.missing_by_column.end()) {
    MissingStrategy strategy = listed->second;
    if (categorical &&
        (strategy == MissingStrategy::kMean || strategy == MissingStrategy::kMedian)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "preprocess.missing.", column.name, ": ", std::string(MissingStrategyName(strategy)),
          " applies to numeric columns only; '", column.name,
          "' is categorical (use most_frequent or drop)"));
    }
    return strategy;
  }
  if (spec.missing_all.has_value()) {
    MissingStrategy strategy = *spec.missing_all;
    if (categorical &&
        (strategy == MissingStrategy::kMean || strategy == MissingStrategy::kMedian)) {
      return MissingStrategy::kMostFrequent;
    }
    return strategy;
  }
  return categorical ? MissingStrategy::kMostFrequent : MissingStrategy::kMean;
}

absl::StatusOr<Plan> MakePlan(const PreprocessSpec& spec, const TargetSpec& target,
                              const DataTable& table) {
  Plan plan;
  absl::StatusOr<const Column*> target_column = ResolveTarget(target, table);
  if (!target_column.ok()) return target_column.status();
  plan.target = *target_column;
  std::set<std::string> selected;
  if (spec.features.has_value()) {
    for (const std::string& name : *spec.features) {
      if (table.Find(name) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("preprocess.features: no column '", name,
                         "' in the dataset (columns: ", ColumnList(table), ")"));
      }
      if (name == target.column) {
        return absl::InvalidArgumentError(
            absl::StrCat("preprocess.features: '", name, "' is the target column"));
      }
      selected.insert(name);
    }
  }
  std::set<std::string> used;
  for (const Column& column : table.columns) {
    bool wanted =
        spec.features.has_value() ? selected.count(column.name) > 0 : column.name != target.column;
    if (!wanted || !used.insert(column.name).second) continue;
    if (absl::Status status = CheckColumnShape(column, table.rows); !status.ok()) return status;
    if (column.kind == ColumnKind::kCategorical && !spec.one_hot) {
      return absl::InvalidArgumentError(absl::StrCat(
          "preprocess.one_hot: false, but feature '", column.name,
          "' is categorical; enable one_hot or leave the column out of preprocess.features"));
    }
    absl::StatusOr<MissingStrategy> strategy = StrategyFor(spec, column);
    if (!strategy.ok()) return strategy.status();
    plan.features.push_back({&column, *strategy});
  }
  if (plan.features.empty()) {
    return absl::InvalidArgumentError("preprocess.features: the dataset has no feature columns");
  }
  for (const auto& [name, strategy] : spec.missing_by_column) {
    if (name == target.column && !target.column.empty()) {
      if (strategy != MissingStrategy::kDrop) {
        return absl::InvalidArgumentError(absl::StrCat("preprocess.missing.", name,
                                                       ": the target accepts only \"drop\"; "
                                                       "missing targets are never imputed"));
      }
      continue;
    }
    if (used.count(name) == 0) {
      return absl::InvalidArgumentError(absl::StrCat("preprocess.missing.", name, ": '", name,
                                                     "' is not a feature or the target"));
    }
  }
  auto by_target = spec.missing_by_column.find(target.column);
  plan.drop_missing_target =
      spec.missing_all == MissingStrategy::kDrop ||
      (by_target != spec.missing_by_column.end() && by_target->second == MissingStrategy::kDrop);
  return plan;
}

// Whether `row` survives "drop": no missing value in a drop feature or dropped target.
bool Usable(const Plan& plan, size_t row) {
  if (plan.drop_missing_target && plan.target != nullptr && plan.target->IsMissing(row)) {
    return false;
  }
  for (const PlannedFeature& feature : plan.features) {
    if (feature.missing == MissingStrategy::kDrop && feature.column->IsMissing(row)) return false;
  }
  return true;
}

absl::Status CheckTargetsPresent(const Plan& plan, const std::vector<size_t>& rows) {
  if (plan.target == nullptr || plan.drop_missing_target) return absl::OkStatus();
  size_t missing = 0;
  size_t first = 0;
  for (size_t row : rows) {
    if (plan.target->IsMissing(row) && missing++ == 0) first = row;
  }
  if (missing == 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("target '", plan.target->name, "' is missing in ",
                                                 missing, " rows (first: row ", first,
                                                 "); set preprocess.missing to \"drop\" or {\"",
                                                 plan.target->name, "\": \"drop\"} to drop them"));
}

}  // namespace

absl::StatusOr<std::vector<size_t>> RowsToTrainOn(const PreprocessSpec& spec,
                                                  const TargetSpec& target,
                                                  const DataTable& table) {
  absl::StatusOr<Plan> plan = MakePlan(spec, target, table);
  if (!plan.ok()) return plan.status();
  std::vector<size_t> rows;
  for (size_t row = 0; row < table.rows; ++row) {
    if (Usable(*plan, row)) rows.push_back(row);
  }
  if (absl::Status status = CheckTargetsPresent(*plan, rows); !status.ok()) return status;
  return rows;
}

absl::StatusOr<FittedPreprocessor> FittedPreprocessor::Fit(const PreprocessSpec& spec,
                                                           const TargetSpec& target,
                                                           const DataTable& table,
                                                           const std::vector<size_t>& train_rows) {
  absl::StatusOr<Plan> plan = MakePlan(spec, target, table);
  if (!plan.ok()) return plan.status();
  std::vector<size_t> rows;
  rows.reserve(train_rows.size());
  for (size_t row : train_rows) {
    if (row >= table.rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("train row ", row, " is out of range (", table.rows, " rows)"));
    }
    if (Usable(*plan, row)) rows.push_back(row);
  }
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no train rows left: ", train_rows.size(),
                                                   " given, all dropped for missing values"));
  }
  if (absl::Status status = CheckTargetsPresent(*plan, rows); !status.ok()) return status;

  FittedPreprocessor fitted;
  fitted.target_ = target;
  fitted.drop_missing_target_ = plan->drop_missing_target && plan->target != nullptr;
  fitted.scale_ = spec.scale;
  if (target.kind == TargetKind::kClassLabel) {
    absl::StatusOr<LabelEncoder> labels = LabelEncoder::Fit(
        *plan->target, plan->drop_missing_target ? MissingTargets::kSkip : MissingTargets::kReject);
    if (!labels.ok()) return labels.status();
    fitted.labels_ = *std::move(labels);
  } else if (target.kind == TargetKind::kRealValue) {
    for (size_t row : rows) {
      if (!std::isfinite(CellAsServed(*plan->target, row))) {
        return absl::InvalidArgumentError(absl::StrCat("target '", target.column, "' row ", row,
                                                       ": value is not a finite float32"));
      }
    }
  }
  for (const PlannedFeature& planned : plan->features) {
    absl::StatusOr<FeatureTransform> feature =
        planned.column->kind == ColumnKind::kNumeric
            ? FitNumericFeature(*planned.column, planned.missing, rows)
            : FitCategoricalFeature(*planned.column, planned.missing, rows, kMaxCategories);
    if (!feature.ok()) return feature.status();
    fitted.width_ += feature->Width();
    fitted.features_.push_back(*std::move(feature));
  }
  if (absl::Status status = fitted.SetShape(spec.reshape); !status.ok()) return status;
  return fitted;
}

absl::Status FittedPreprocessor::SetShape(const std::optional<std::vector<int64_t>>& reshape) {
  if (!reshape.has_value()) {
    sample_shape_ = {static_cast<int64_t>(width_)};
    return absl::OkStatus();
  }
  // Multiply only while product <= width and dim <= width, so nothing overflows; past
  // that the message says "more than <width>".
  uint64_t product = 1;
  bool exact = true;
  for (int64_t dim : *reshape) {
    if (dim < 1) return absl::InvalidArgumentError("preprocess.reshape: dims must be >= 1");
    if (product > width_ || static_cast<uint64_t>(dim) > width_) {
      product = width_ + 1;
      exact = false;
    } else {
      product *= static_cast<uint64_t>(dim);
    }
  }
  if (product != width_) {
    std::string shown = exact ? absl::StrCat(product) : absl::StrCat("more than ", width_);
    return absl::InvalidArgumentError(absl::StrCat(
        "preprocess.reshape: [", absl::StrJoin(*reshape, ", "), "] holds ", shown,
        " values per sample, but the features give ", width_, " values after encoding"));
  }
  sample_shape_ = *reshape;
  return absl::OkStatus();
}

absl::StatusOr<Matrix> FittedPreprocessor::TransformTable(const DataTable& table,
                                                          const std::vector<size_t>& rows) const {
  std::vector<const Column*> columns;
  for (const FeatureTransform& feature : features_) {
    const Column* column = table.Find(feature.name);
    if (column == nullptr || column->kind != feature.kind) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the dataset needs a ", feature.kind == ColumnKind::kNumeric ? "numeric" : "categorical",
          " column '", feature.name, "'"));
    }
    if (absl::Status status = CheckColumnShape(*column, table.rows); !status.ok()) return status;
    columns.push_back(column);
  }
  const Column* target = drop_missing_target_ ? table.Find(target_.column) : nullptr;
  if (target != nullptr && target->size() != table.rows) target = nullptr;
  Matrix matrix;
  matrix.cols = width_;
  matrix.values.reserve(rows.size() * width_);
  matrix.source_rows.reserve(rows.size());
  for (size_t row : rows) {
    if (row >= table.rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", row, " is out of range (", table.rows, " rows)"));
    }
    bool dropped = target != nullptr && target->IsMissing(row);
    for (size_t f = 0; f < features_.size() && !dropped; ++f) {
      dropped = features_[f].missing == MissingStrategy::kDrop && columns[f]->IsMissing(row);
    }
    if (dropped) continue;
    size_t offset = matrix.values.size();
    matrix.values.resize(offset + width_);
    float* out = matrix.values.data() + offset;
    for (size_t f = 0; f < features_.size(); ++f) {
      const FeatureTransform& feature = features_[f];
      const Column& column = *columns[f];
      absl::Status status =
          feature.kind == ColumnKind::kNumeric
              ? EncodeNumber(feature, scale_, CellAsServed(column, row), row, out)
              : EncodeCategory(feature, column.IsMissing(row) ? "" : column.strings[row],
                               column.IsMissing(row), row, out);
      if (!status.ok()) return status;
      out += feature.Width();
    }
    matrix.source_rows.push_back(row);
  }
  matrix.rows = matrix.source_rows.size();
  return matrix;
}

absl::StatusOr<std::vector<float>> FittedPreprocessor::RegressionTargets(
    const DataTable& table, const std::vector<size_t>& rows) const {
  if (target_.kind != TargetKind::kRealValue) {
    return absl::FailedPreconditionError("RegressionTargets: the target is not a real value");
  }
  const Column* column = table.Find(target_.column);
  if (column == nullptr || column->kind != ColumnKind::kNumeric ||
      column->numbers.size() != table.rows || column->size() != table.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("the dataset needs a numeric target column '", target_.column, "'"));
  }
  std::vector<float> targets;
  targets.reserve(rows.size());
  for (size_t row : rows) {
    if (row >= table.rows || column->IsMissing(row) || !std::isfinite(CellAsServed(*column, row))) {
      return absl::InvalidArgumentError(absl::StrCat("target '", target_.column, "' row ", row,
                                                     ": missing, out of range or not finite"));
    }
    targets.push_back(static_cast<float>(column->numbers[row]));
  }
  return targets;
}

absl::StatusOr<std::vector<int64_t>> FittedPreprocessor::ClassTargets(
    const DataTable& table, const std::vector<size_t>& rows) const {
  if (!labels_.has_value()) {
    return absl::FailedPreconditionError("ClassTargets: the target is not a class label");
  }
  const Column* column = table.Find(target_.column);
  if (column == nullptr || column->size() != table.rows) {
    return absl::InvalidArgumentError(
        absl::StrCat("the dataset needs a target column '", target_.column, "'"));
  }
  return labels_->EncodeRows(*column, rows);
}

absl::StatusOr<Matrix> FittedPreprocessor::TransformRaw(
    const float* numeric, size_t n, const std::vector<std::string>* categorical) const {
  size_t numeric_count = 0;
  size_t categorical_count = 0;
  for (const FeatureTransform& feature : features_) {
    (feature.kind == ColumnKind::kNumeric ? numeric_count : categorical_count)++;
  }
  if (numeric_count > 0 && n > 0 && numeric == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("the model needs ", numeric_count, " numeric inputs per row"));
  }
  size_t given = categorical == nullptr ? 0 : categorical->size();
  if (given != n * categorical_count) {
    return absl::InvalidArgumentError(absl::StrCat("expected ", n * categorical_count,
                                                   " categorical values (", n, " rows x ",
                                                   categorical_count, " columns), got ", given));
  }
  Matrix matrix;
  matrix.rows = n;
  matrix.cols = width_;
  matrix.values.resize(n * width_);
  matrix.source_rows.resize(n);
  for (size_t row = 0; row < n; ++row) {
    float* out = matrix.values.data() + row * width_;
    size_t numeric_index = row * numeric_count;
    size_t categorical_index = row * categorical_count;
    for (const FeatureTransform& feature : features_) {
      absl::Status status;
      if (feature.kind == ColumnKind::kNumeric) {
        status =
            EncodeNumber(feature, scale_, static_cast<double>(numeric[numeric_index++]), row, out);
      } else {
        const std::string& value = (*categorical)[categorical_index++];
        status = EncodeCategory(feature, value, value.empty(), row, out);
      }
      if (!status.ok()) return status;
      out += feature.Width();
    }
    matrix.source_rows[row] = row;
  }
  return matrix;
}

std::vector<std::string> FittedPreprocessor::NumericFeatureNames() const {
  std::vector<std::string> names;
  for (const FeatureTransform& feature : features_) {
    if (feature.kind == ColumnKind::kNumeric) names.push_back(feature.name);
  }
  return names;
}

std::vector<std::string> FittedPreprocessor::CategoricalFeatureNames() const {
  std::vector<std::string> names;
  for (const FeatureTransform& feature : features_) {
    if (feature.kind == ColumnKind::kCategorical) names.push_back(feature.name);
  }
  return names;
}

}  // namespace aiaas::training
