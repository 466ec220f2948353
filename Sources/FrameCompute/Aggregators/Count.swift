import FrameStorage

final class CountAggregator: Aggregator {
  let rowsOnly: Bool
  var count: Int64 = 0

  init(rowsOnly: Bool) { self.rowsOnly = rowsOnly }

  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, count n: Int) {
    guard !rowsOnly, let values, values.dtype.isFloat else {
      count += Int64(mask.map { countSet($0, n) } ?? n)
      return
    }
    count += Int64(values.dtype == .float64
      ? countPresent(values.values.assumingMemoryBound(to: Double.self), mask, n)
      : countPresent(values.values.assumingMemoryBound(to: Float.self), mask, n))
  }

  func merge(_ other: Aggregator) {
    if let o = other as? CountAggregator { count += o.count }
  }

  func finish() -> Scalar { .int64(count) }
}

@inline(__always) func countSet(_ mask: UnsafePointer<UInt8>, _ n: Int) -> Int {
  var c = 0
  for i in 0..<n { c &+= Int(mask[i]) }
  return c
}

@inline(__always) func countPresent<T: BinaryFloatingPoint>(_ p: UnsafePointer<T>, _ mask: UnsafePointer<UInt8>?, _ n: Int) -> Int {
  var c = 0
  if let mask {
    for i in 0..<n where mask[i] != 0 && !p[i].isNaN { c &+= 1 }
  } else {
    for i in 0..<n where !p[i].isNaN { c &+= 1 }
  }
  return c
}
