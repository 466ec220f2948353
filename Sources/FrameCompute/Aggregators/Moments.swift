import FrameStorage

/// mean, var and std (ddof = 0). Each chunk is reduced in two passes over cached
/// data (mean, then squared deviations) and merged with Chan et al.'s formula, which
/// keeps the variance accurate where the textbook sum of squares cancels.
final class MomentsAggregator<T: ColumnValue>: Aggregator {
  let kind: AggregateKind
  var n = 0.0, mean = 0.0, m2 = 0.0

  init(kind: AggregateKind) { self.kind = kind }

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
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, count: Int) {
    guard let values else { return }
    let p = values.values.assumingMemoryBound(to: T.self)
    let (s, c) = sumAndCount(p, mask, count)
    guard c > 0 else { return }
    let chunkMean = s / Double(c)
    let chunkM2 = kind == .mean ? 0 : squaredDeviations(p, mask, count, mean: chunkMean)
    fold(Double(c), chunkMean, chunkM2)
  }

  private func fold(_ c: Double, _ chunkMean: Double, _ chunkM2: Double) {
    let total = n + c
    let delta = chunkMean - mean
    mean += delta * c / total
    m2 += chunkM2 + delta * delta * n * c / total
    n = total
  }

  func merge(_ other: Aggregator) {
    guard let o = other as? MomentsAggregator<T>, o.n > 0 else { return }
    fold(o.n, o.mean, o.m2)
  }

  func finish() -> Scalar {
    guard n > 0 else { return .float64(.nan) }
    switch kind {
    case .mean: return .float64(mean)
    case .variance: return .float64(m2 / n)
    default: return .float64((m2 / n).squareRoot())
    }
  }
}
