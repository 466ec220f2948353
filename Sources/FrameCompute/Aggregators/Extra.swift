import FrameStorage

// first, last, any, all, skew, kurtosis, nunique and mode (Mode.swift): grouped states (one per group or
// binby cell); the scalar statistic is the same state with one group (`SingleGroup`).

/// A state whose result depends on row order: told the table row of each chunk's first row.
protocol RowOrdered: AnyObject {
  func begin(row: Int)
}

/// The grouped states of the kinds in this file; nil for the others.
func makeExtraGrouped(_ kind: AggregateKind, dtype: DType, groups: Int) -> GroupedAggregator? {
  struct Make: DTypeVisitor {
    let kind: AggregateKind, dtype: DType, groups: Int
    func visit<T: ColumnValue>(_: T.Type) -> GroupedAggregator? {
      switch kind {
      case .first, .last: GroupedFirstLast<T>(groups: groups, dtype: dtype, isLast: kind == .last)
      case .any, .all: GroupedTruth<T>(groups: groups, isAll: kind == .all)
      case .skew, .kurtosis: GroupedHigherMoments<T>(groups: groups, kurtosis: kind == .kurtosis)
      case .nunique: GroupedDistinct<T>(groups: groups)
      case .mode: GroupedMode<T>(groups: groups, dtype: dtype)
      case .covariance, .correlation: GroupedCoMoments(groups: groups, correlation: kind == .correlation)
      default: nil
      }
    }
  }
  return try? dtype.visit(Make(kind: kind, dtype: dtype, groups: groups))
}

/// A single-state aggregator made of a grouped one with one group.
final class SingleGroup: Aggregator, RowOrdered {
  let inner: GroupedAggregator
  private var zeros: UnsafeMutablePointer<Int32>, capacity: Int

  init(_ inner: GroupedAggregator) {
    self.inner = inner
    capacity = chunkRows
    zeros = .allocate(capacity: capacity)
    zeros.initialize(repeating: 0, count: capacity)
  }

  deinit { zeros.deallocate() }

  func begin(row: Int) { (inner as? RowOrdered)?.begin(row: row) }

  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, count: Int) {
    if count > capacity {  // chunks hold at most chunkRows rows; stay correct if one did not
      zeros.deallocate()
      capacity = count
      zeros = .allocate(capacity: capacity)
      zeros.initialize(repeating: 0, count: capacity)
    }
    inner.add(values, mask: mask, ids: UnsafePointer(zeros), count: count)
  }

  func merge(_ other: Aggregator) {
    guard let o = other as? SingleGroup else { return }
    inner.merge(o.inner, map: .identity(1))
  }

  func finish() -> Scalar { inner.finish().first ?? .float64(.nan) }
}

/// The value of the first (or last) row in table order where it is present and not
/// NaN, per group. Each group keeps the row index with its value, so merging the
/// states of threads that read chunks in any order still picks the earliest (latest) row.
final class GroupedFirstLast<T: ColumnValue>: GroupedAggregator, RowOrdered {
  let dtype: DType, isLast: Bool
  var value: [T], row: [Int]  // row -1: no value yet
  var base = 0

  init(groups: Int, dtype: DType, isLast: Bool) {
    self.dtype = dtype
    self.isLast = isLast
    value = Array(repeating: T.make(integer: 0), count: groups)
    row = Array(repeating: -1, count: groups)
  }

  func begin(row r: Int) { base = r }

  @inline(__always) private func takes(_ r: Int, over current: Int) -> Bool {
    current < 0 || (isLast ? r > current : r < current)
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
    for i in 0..<count where !p[i].isNaN {
      guard let g = routed(ids, mask, i) else { continue }
      if takes(base + i, over: row[g]) { value[g] = p[i]; row[g] = base + i }
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedFirstLast<T> else { return }
    for g in 0..<map.count where o.row[g] >= 0 {
      let t = map[g]
      if takes(o.row[g], over: row[t]) {
        value[t] = o.value[g]
        row[t] = o.row[g]
      }
    }
  }

  func finish() -> [Scalar] {
    row.indices.map { row[$0] >= 0 ? .of(value[$0], as: dtype) : .null(dtype) }
  }
}

/// any / all of the values' truth (non-zero), skipping missing and NaN values; an
/// empty group gives any = false, all = true (numpy's and pandas' empty reductions).
final class GroupedTruth<T: ColumnValue>: GroupedAggregator {
  let isAll: Bool
  var state: [UInt8]

  init(groups: Int, isAll: Bool) {
    self.isAll = isAll
    state = Array(repeating: isAll ? 1 : 0, count: groups)
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
    let zero = T.make(integer: 0)
    state.withUnsafeMutableBufferPointer { s in
      for i in 0..<count where !p[i].isNaN {
        guard let g = routed(ids, mask, i) else { continue }
        let truth: UInt8 = p[i] != zero ? 1 : 0
        s[g] = isAll ? s[g] & truth : s[g] | truth
      }
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedTruth<T> else { return }
    for g in 0..<map.count {
      let t = map[g]
      state[t] = isAll ? state[t] & o.state[g] : state[t] | o.state[g]
    }
  }

  func finish() -> [Scalar] { state.map { Scalar(dtype: .bool, bits: UInt64($0)) } }
}

/// skew and kurtosis as vaex and scipy.stats compute them by default (biased:
/// g1 = m3 / m2^1.5, excess g2 = m4 / m2² - 3, with m_k the central moments / n).
/// The state per group is n, mean, M2, M3, M4 (sums of powers of deviations), updated
/// per row and merged with Pébay's pairwise formulas (2008), in float64.
final class GroupedHigherMoments<T: ColumnValue>: GroupedAggregator {
  let kurtosis: Bool
  var n: [Double], mean: [Double], m2: [Double], m3: [Double], m4: [Double]

  init(groups: Int, kurtosis: Bool) {
    self.kurtosis = kurtosis
    n = Array(repeating: 0, count: groups)
    (mean, m2, m3, m4) = (n, n, n, n)
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
    for i in 0..<count where !p[i].isNaN {
      guard let g = routed(ids, mask, i) else { continue }
      let x = p[i].doubleValue
      let n0 = n[g], n1 = n0 + 1
      let delta = x - mean[g], dn = delta / n1, dn2 = dn * dn, term = delta * dn * n0
      mean[g] += dn
      m4[g] += term * dn2 * (n1 * n1 - 3 * n1 + 3) + 6 * dn2 * m2[g] - 4 * dn * m3[g]
      m3[g] += term * dn * (n1 - 2) - 3 * dn * m2[g]
      m2[g] += term
      n[g] = n1
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedHigherMoments<T> else { return }
    for g in 0..<map.count where o.n[g] > 0 {
      let t = map[g]
      let na = n[t], nb = o.n[g], nt = na + nb
      let d = o.mean[g] - mean[t], d2 = d * d
      let (a2, a3, b2, b3) = (m2[t], m3[t], o.m2[g], o.m3[g])
      m4[t] += o.m4[g] + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (nt * nt * nt)
        + 6 * d2 * (na * na * b2 + nb * nb * a2) / (nt * nt) + 4 * d * (na * b3 - nb * a3) / nt
      m3[t] += b3 + d2 * d * na * nb * (na - nb) / (nt * nt) + 3 * d * (na * b2 - nb * a2) / nt
      m2[t] += b2 + d2 * na * nb / nt
      mean[t] += d * nb / nt
      n[t] = nt
    }
  }

  func finish() -> [Scalar] {
    n.indices.map { g in
      guard n[g] > 0, m2[g] > 0 else { return .float64(.nan) }
      if kurtosis { return .float64(n[g] * m4[g] / (m2[g] * m2[g]) - 3) }
      return .float64(n[g].squareRoot() * m3[g] / (m2[g] * m2[g].squareRoot()))
    }
  }
}

/// The number of distinct values per group, exactly: a hash set of the values' bits per
/// group (missing and NaN skipped, -0.0 counted as 0.0). Memory grows with the number
/// of distinct (group, value) pairs — about 16 bytes each plus the sets' spare room —
/// and with one empty set (a few words) per group, on every worker thread until merged.
final class GroupedDistinct<T: ColumnValue>: GroupedAggregator {
  var sets: [Set<UInt64>]

  init(groups: Int) { sets = Array(repeating: [], count: groups) }

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
    for i in 0..<count where !p[i].isNaN {
      guard let g = routed(ids, mask, i) else { continue }
      sets[g].insert(distinctBits(p[i]))
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedDistinct<T> else { return }
    for g in 0..<map.count where !o.sets[g].isEmpty {
      let t = map[g]
      if sets[t].count < o.sets[g].count { swap(&sets[t], &o.sets[g]) }
      sets[t].formUnion(o.sets[g])
    }
  }

  func finish() -> [Scalar] { sets.map { .int64(Int64($0.count)) } }
}

/// A state over two expressions (covariance, correlation): given the chunk's values of
/// the second before each `add`. The pass's mask already drops rows where it is missing.
protocol Paired: AnyObject {
  func pair(with second: Vec)
}

extension SingleGroup: Paired {
  func pair(with second: Vec) { (inner as? Paired)?.pair(with: second) }
}

/// Whether `kind` takes a second expression.
public func takesTwoExpressions(_ kind: AggregateKind) -> Bool { kind == .covariance || kind == .correlation }

/// The values of a numeric vector as float64, into `out` (room for `v.count`).
private func loadDoubles(_ v: Vec, into out: UnsafeMutablePointer<Double>) {
  struct Load: DTypeVisitor {
    let v: Vec, out: UnsafeMutablePointer<Double>
    func visit<T: ColumnValue>(_: T.Type) {
      let p = v.values.assumingMemoryBound(to: T.self)
      for i in 0..<v.count { out[i] = p[i].doubleValue }
    }
  }
  _ = try? v.dtype.visit(Load(v: v, out: out))
}

/// covariance (ddof = 0, as vaex's covar) and Pearson's correlation of x and y per
/// group, over the rows where both are present and not NaN (pandas' pairwise-complete
/// rule). State: n, the means, the co-moment C = Σ dx·dy and M2 of each, updated per
/// row and merged with the pairwise formulas of Chan et al. / Pébay, in float64.
final class GroupedCoMoments: GroupedAggregator, Paired {
  let correlation: Bool
  var n: [Double], mx: [Double], my: [Double], c: [Double], m2x: [Double], m2y: [Double]
  private var second: Vec?
  private var xs: UnsafeMutablePointer<Double>, ys: UnsafeMutablePointer<Double>, capacity: Int

  init(groups: Int, correlation: Bool) {
    self.correlation = correlation
    n = Array(repeating: 0, count: groups)
    (mx, my, c, m2x, m2y) = (n, n, n, n, n)
    capacity = chunkRows
    xs = .allocate(capacity: capacity)
    ys = .allocate(capacity: capacity)
  }

  deinit {
    xs.deallocate()
    ys.deallocate()
  }

  func pair(with second: Vec) { self.second = second }

  func add(_ values: Vec?, mask: UnsafePointer<UInt8>?, ids: UnsafePointer<Int32>, count: Int) {
    guard let values, let second, values.count >= count, second.count >= count else { return }
    if count > capacity {
      xs.deallocate()
      ys.deallocate()
      capacity = count
      xs = .allocate(capacity: capacity)
      ys = .allocate(capacity: capacity)
    }
    loadDoubles(values, into: xs)
    loadDoubles(second, into: ys)
    for i in 0..<count where !xs[i].isNaN && !ys[i].isNaN {
      guard let g = routed(ids, mask, i) else { continue }
      let x = xs[i], y = ys[i], n1 = n[g] + 1
      let dx = x - mx[g], dy = y - my[g]
      mx[g] += dx / n1
      my[g] += dy / n1
      c[g] += dx * (y - my[g])
      m2x[g] += dx * (x - mx[g])
      m2y[g] += dy * (y - my[g])
      n[g] = n1
    }
    self.second = nil
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedCoMoments else { return }
    for g in 0..<map.count where o.n[g] > 0 {
      let t = map[g]
      let na = n[t], nb = o.n[g], nt = na + nb
      let dx = o.mx[g] - mx[t], dy = o.my[g] - my[t], w = na * nb / nt
      c[t] += o.c[g] + dx * dy * w
      m2x[t] += o.m2x[g] + dx * dx * w
      m2y[t] += o.m2y[g] + dy * dy * w
      mx[t] += dx * nb / nt
      my[t] += dy * nb / nt
      n[t] = nt
    }
  }

  func finish() -> [Scalar] {
    n.indices.map { g in
      guard n[g] > 0 else { return .float64(.nan) }
      if !correlation { return .float64(c[g] / n[g]) }
      let d = (m2x[g] * m2y[g]).squareRoot()
      return .float64(d > 0 ? c[g] / d : .nan)
    }
  }
}
