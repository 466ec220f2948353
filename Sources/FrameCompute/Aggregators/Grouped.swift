import FrameStorage

/// One statistic for many groups at once — the cells of a binby grid, or the keys of a
/// groupby — with the states of all groups in flat arrays. A chunk routes row i to
/// group `ids[i]`; rows with a negative id (outside the grid, a missing or NaN binby
/// value) or `mask[i] == 0` are skipped. States merge and finish per group, with the
/// semantics of the single-state aggregators (README.md).
public protocol GroupedAggregator: AnyObject {
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, ids: UnsafePointer<Int32>, count: Int)
  /// Folds group g of `other` (a state of the same task) into group `map[g]` of this
  /// one, for g in 0..<map.count: threads of a groupby number their groups apart.
  func merge(_ other: GroupedAggregator, map: GroupMap)
  /// One result per group.
  func finish() -> [Scalar]
}

/// Where each group of a merged state goes in the receiving state.
public struct GroupMap {
  /// Groups of the merged state that are mapped.
  public let count: Int
  private let ids: [Int32]?  // nil: group g goes to g

  /// Group g to g, for states with the same groups.
  public static func identity(_ count: Int) -> GroupMap { GroupMap(count: count, ids: nil) }

  /// Group g to ids[g]; every id must be a group of the receiving state.
  public init(_ ids: [Int32]) { self.init(count: ids.count, ids: ids) }

  private init(count: Int, ids: [Int32]?) {
    self.count = count
    self.ids = ids
  }

  @inline(__always) public subscript(g: Int) -> Int { ids.map { Int($0[g]) } ?? g }
}

/// A fresh grouped state for `kind` over `groups` groups of values of `dtype` (nil:
/// count of rows). The same kinds and dtypes as `makeAggregator`.
public func makeGroupedAggregator(_ kind: AggregateKind, dtype: DType?, groups: Int) throws(SFError) -> GroupedAggregator {
  _ = try makeAggregator(kind, dtype: dtype)  // the same type rules, one place
  guard let dtype else { return GroupedCount(groups: groups, rowsOnly: true) }
  if kind == .count { return GroupedCount(groups: groups, rowsOnly: false) }
  if let extra = makeExtraGrouped(kind, dtype: dtype, groups: groups) { return extra }
  struct Make: DTypeVisitor {
    let kind: AggregateKind, dtype: DType, groups: Int
    func visit<T: ColumnValue>(_: T.Type) -> GroupedAggregator {
      switch kind {
      case .count: GroupedCount(groups: groups, rowsOnly: false)
      case .sum: GroupedSum<T>(groups: groups, dtype: dtype)
      case .mean, .variance, .std: GroupedMoments<T>(groups: groups, kind: kind)
      case .min, .max: GroupedExtreme<T>(groups: groups, dtype: dtype, isMax: kind == .max)
      default: GroupedCount(groups: groups, rowsOnly: false)  // unreachable: made above
      }
    }
  }
  return try dtype.visit(Make(kind: kind, dtype: dtype, groups: groups))
}

/// Row i's group, or nil when it has none (outside the grid) or the mask drops it.
@inline(__always)
func routed(_ ids: UnsafePointer<Int32>, _ mask: UnsafePointer<UInt8>?, _ i: Int) -> Int? {
  let g = ids[i]
  guard g >= 0, mask.map({ $0[i] != 0 }) ?? true else { return nil }
  return Int(g)
}

final class GroupedCount: GroupedAggregator {
  let rowsOnly: Bool
  var counts: [Int64]

  init(groups: Int, rowsOnly: Bool) {
    counts = Array(repeating: 0, count: groups)
    self.rowsOnly = rowsOnly
  }

  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, ids: UnsafePointer<Int32>, count n: Int) {
    counts.withUnsafeMutableBufferPointer { c in
      if !rowsOnly, let values, values.dtype.isFloat {
        // count(x) skips NaN, as vaex; the width is decided once per chunk, not per row.
        func count<F: BinaryFloatingPoint>(_ p: UnsafePointer<F>) {
          for i in 0..<n where !p[i].isNaN { if let g = routed(ids, mask, i) { c[g] &+= 1 } }
        }
        if values.dtype == .float64 {
          count(values.values.assumingMemoryBound(to: Double.self))
        } else {
          count(values.values.assumingMemoryBound(to: Float.self))
        }
        return
      }
      for i in 0..<n { if let g = routed(ids, mask, i) { c[g] &+= 1 } }
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedCount else { return }
    counts.withUnsafeMutableBufferPointer { c in
      o.counts.withUnsafeBufferPointer { oc in for g in 0..<map.count { c[map[g]] &+= oc[g] } }
    }
  }

  func finish() -> [Scalar] { counts.map { .int64($0) } }
}

/// numpy's sum per group: floats in float64 skipping NaN, integers wrapping in 64 bits.
final class GroupedSum<T: ColumnValue>: GroupedAggregator {
  let dtype: DType
  var floats: [Double]
  var ints: [UInt64]

  init(groups: Int, dtype: DType) {
    self.dtype = dtype
    floats = T.isFloatingPoint ? Array(repeating: 0, count: groups) : []
    ints = T.isFloatingPoint ? [] : Array(repeating: 0, count: groups)
  }

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
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, ids: UnsafePointer<Int32>, count n: Int) {
    guard let values else { return }
    let p = values.values.assumingMemoryBound(to: T.self)
    if T.isFloatingPoint {
      floats.withUnsafeMutableBufferPointer { s in
        for i in 0..<n where !p[i].isNaN { if let g = routed(ids, mask, i) { s[g] += p[i].doubleValue } }
      }
    } else {
      ints.withUnsafeMutableBufferPointer { s in
        for i in 0..<n { if let g = routed(ids, mask, i) { s[g] &+= p[i].converted(to: UInt64.self) } }
      }
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedSum<T> else { return }
    if T.isFloatingPoint {
      floats.withUnsafeMutableBufferPointer { s in
        o.floats.withUnsafeBufferPointer { os in for g in 0..<map.count { s[map[g]] += os[g] } }
      }
    } else {
      ints.withUnsafeMutableBufferPointer { s in
        o.ints.withUnsafeBufferPointer { os in for g in 0..<map.count { s[map[g]] &+= os[g] } }
      }
    }
  }

  func finish() -> [Scalar] {
    if T.isFloatingPoint { return floats.map { .float64($0) } }
    return ints.map { dtype.isUnsignedInteger ? .uint64($0) : Scalar(dtype: .int64, bits: $0) }
  }
}

/// mean, var, std per group (ddof = 0): Welford's update per row, Chan's formula to merge.
final class GroupedMoments<T: ColumnValue>: GroupedAggregator {
  let kind: AggregateKind
  var n: [Double], mean: [Double], m2: [Double]

  init(groups: Int, kind: AggregateKind) {
    self.kind = kind
    n = Array(repeating: 0, count: groups)
    mean = n
    m2 = n
  }

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
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, ids: UnsafePointer<Int32>, count: Int) {
    guard let values else { return }
    let p = values.values.assumingMemoryBound(to: T.self)
    n.withUnsafeMutableBufferPointer { n in
      mean.withUnsafeMutableBufferPointer { mean in
        m2.withUnsafeMutableBufferPointer { m2 in
          for i in 0..<count where !p[i].isNaN {
            guard let g = routed(ids, mask, i) else { continue }
            let x = p[i].doubleValue
            n[g] += 1
            let d = x - mean[g]
            mean[g] += d / n[g]
            m2[g] += d * (x - mean[g])
          }
        }
      }
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedMoments<T> else { return }
    for g in 0..<map.count where o.n[g] > 0 {
      let t = map[g]
      let total = n[t] + o.n[g]
      let delta = o.mean[g] - mean[t]
      mean[t] += delta * o.n[g] / total
      m2[t] += o.m2[g] + delta * delta * n[t] * o.n[g] / total
      n[t] = total
    }
  }

  func finish() -> [Scalar] {
    n.indices.map { g in
      guard n[g] > 0 else { return .float64(.nan) }
      switch kind {
      case .mean: return .float64(mean[g])
      case .variance: return .float64(m2[g] / n[g])
      default: return .float64((m2[g] / n[g]).squareRoot())
      }
    }
  }
}

/// min or max per group in the input's type, skipping NaN; null for an empty group.
final class GroupedExtreme<T: ColumnValue>: GroupedAggregator {
  let dtype: DType, isMax: Bool
  var best: [T], has: [Bool]

  init(groups: Int, dtype: DType, isMax: Bool) {
    self.dtype = dtype
    self.isMax = isMax
    best = Array(repeating: T.make(integer: 0), count: groups)
    has = Array(repeating: false, count: groups)
  }

  @inline(__always) private func better(_ a: T, than b: T) -> Bool { isMax ? a > b : a < b }

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
  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, ids: UnsafePointer<Int32>, count: Int) {
    guard let values else { return }
    let p = values.values.assumingMemoryBound(to: T.self)
    let isMax = self.isMax
    best.withUnsafeMutableBufferPointer { best in
      has.withUnsafeMutableBufferPointer { has in
        for i in 0..<count where !p[i].isNaN {
          guard let g = routed(ids, mask, i) else { continue }
          if !has[g] || (isMax ? p[i] > best[g] : p[i] < best[g]) { best[g] = p[i]; has[g] = true }
        }
      }
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedExtreme<T> else { return }
    for g in 0..<map.count where o.has[g] {
      let t = map[g]
      if !has[t] || better(o.best[g], than: best[t]) {
        best[t] = o.best[g]
        has[t] = true
      }
    }
  }

  func finish() -> [Scalar] {
    best.indices.map { has[$0] ? .of(best[$0], as: dtype) : .null(dtype) }
  }
}
