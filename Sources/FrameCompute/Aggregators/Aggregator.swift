import FrameStorage

/// The statistics a pass computes. Raw values are the SF_AGG_* codes of the C header.
public enum AggregateKind: Int32, Sendable {
  case count = 0, sum, mean, variance, std, min, max
  case first = 7, last, any, all, skew, kurtosis, nunique, covariance, correlation, mode
}

/// A partial state of one statistic on one thread (see README.md).
public protocol Aggregator: AnyObject {
  /// Folds a chunk in. `values` is nil for count(*); `mask[i] == 0` excludes row i.
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, count: Int)
  func merge(_ other: Aggregator)
  func finish() -> Scalar
}

/// A fresh state for `kind` over values of `dtype` (nil: count of rows). Strings
/// only count; temporal values count, min and max (their arithmetic is not defined yet).
public func makeAggregator(_ kind: AggregateKind, dtype: DType?) throws(SFError) -> Aggregator {
  guard let dtype else { return CountAggregator(rowsOnly: true) }
  if kind == .count { return CountAggregator(rowsOnly: false) }
  let orderOnly: Set<AggregateKind> = [.min, .max, .first, .last, .nunique, .mode]
  if dtype.isString || (dtype.isTemporal && !orderOnly.contains(kind)) {
    throw SFError(.type, "\(kind) of a \(dtype) expression is not supported")
  }
  if let extra = makeExtraGrouped(kind, dtype: dtype, groups: 1) { return SingleGroup(extra) }
  struct Make: DTypeVisitor {
    let kind: AggregateKind, dtype: DType
    func visit<T: ColumnValue>(_: T.Type) -> Aggregator {
      switch kind {
      case .count: CountAggregator(rowsOnly: false)
      case .sum: SumAggregator<T>(dtype: dtype)
      case .mean, .variance, .std: MomentsAggregator<T>(kind: kind)
      case .min, .max: ExtremeAggregator<T>(dtype: dtype, isMax: kind == .max)
      default: CountAggregator(rowsOnly: false)  // unreachable: the other kinds are made above
      }
    }
  }
  return try dtype.visit(Make(kind: kind, dtype: dtype))
}
