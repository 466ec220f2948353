import FrameStorage

/// numpy's sum: floats in float64 (NaN skipped), integers and bools with
/// wrap-around in 64 bits (int64, or uint64 for unsigned inputs).
final class SumAggregator<T: ColumnValue>: Aggregator {
  let dtype: DType
  var floatSum = 0.0
  var intSum: UInt64 = 0

  init(dtype: DType) { self.dtype = dtype }

  @_specialize(where T == Int8)
  @_specialize(where T == Int16)
  @_specialize(where T == Int32)
  @_specialize(where T == Int64)
  @_specialize(where T == UInt8)
  @_specialize(where T == UInt16)
  @_specialize(where T == UInt32)
  @_specialize(where T == UInt64)
  @_specialize(where T == Float)
  @_specialize(where T == Double)
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, count n: Int) {
    guard let values else { return }
    let p = values.values.assumingMemoryBound(to: T.self)
    if T.isFloatingPoint {
      floatSum += sumAndCount(p, mask, n).0
      return
    }
    var s: UInt64 = 0
    if let mask {
      for i in 0..<n { s &+= mask[i] != 0 ? p[i].converted(to: UInt64.self) : 0 }
    } else {
      for i in 0..<n { s &+= p[i].converted(to: UInt64.self) }
    }
    intSum &+= s
  }

  func merge(_ other: Aggregator) {
    guard let o = other as? SumAggregator<T> else { return }
    floatSum += o.floatSum
    intSum &+= o.intSum
  }

  func finish() -> Scalar {
    if T.isFloatingPoint { return .float64(floatSum) }
    return dtype.isUnsignedInteger ? .uint64(intSum) : Scalar(dtype: .int64, bits: intSum)
  }
}
