import FrameStorage

/// min or max in the input's own type, skipping NaN and masked rows.
final class ExtremeAggregator<T: ColumnValue>: Aggregator {
  let dtype: DType
  let isMax: Bool
  var best: T? = nil

  init(dtype: DType, isMax: Bool) {
    self.dtype = dtype
    self.isMax = isMax
  }

  // A generic class's methods are called through its vtable unspecialized (about 10x
  // slower per value); these attributes make that entry forward to specialized code.
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
    var i = 0
    // Find the first candidate, then compare without optionals in the loop.
    while i < n, (mask.map { $0[i] == 0 } ?? false) || p[i].isNaN { i += 1 }
    guard i < n else { return }
    var b = best.map { pick($0, p[i]) } ?? p[i]
    if let mask {
      for j in i..<n where mask[j] != 0 && !p[j].isNaN { b = pick(b, p[j]) }
    } else if isMax {
      for j in i..<n where !p[j].isNaN { b = p[j] > b ? p[j] : b }
    } else {
      for j in i..<n where !p[j].isNaN { b = p[j] < b ? p[j] : b }
    }
    best = b
  }

  @inline(__always) private func pick(_ a: T, _ b: T) -> T {
    isMax ? (b > a ? b : a) : (b < a ? b : a)
  }

  func merge(_ other: Aggregator) {
    guard let o = other as? ExtremeAggregator<T>, let ob = o.best else { return }
    best = best.map { pick($0, ob) } ?? ob
  }

  func finish() -> Scalar {
    guard let best else { return .null(dtype) }
    return .of(best, as: dtype)
  }
}
