import FrameStorage

/// The most frequent value per group, exactly (pandas' `Series.mode()[0]`): ties go to
/// the smallest value; missing and NaN values are skipped; -0.0 counts as 0.0; an empty
/// group is null. vaex's `df.mode` estimates the mode from a histogram; this one counts.
///
/// State: the distinct values seen (`values`, value bits -> dense value id) and the
/// distinct (group, value id) pairs (`pairs`, -> pair id) with a count per pair. Memory
/// grows with the number of distinct (group, value) pairs — about 40 bytes each with
/// the tables' spare room — on every worker thread until merged; never with the rows.
final class GroupedMode<T: ColumnValue>: GroupedAggregator {
  let dtype: DType
  let groups: Int
  var values = UInt64Set()
  var pairs = UInt64Set()
  var counts: [Int64] = []

  init(groups: Int, dtype: DType) {
    self.groups = groups
    self.dtype = dtype
  }

  @inline(__always) private static func key(_ v: T) -> UInt64 {
    T.isFloatingPoint ? (v.doubleValue + 0.0).bitPattern : v.converted(to: UInt64.self)
  }

  @inline(__always) private static func value(_ key: UInt64) -> T {
    T.isFloatingPoint ? T.make(floating: Double(bitPattern: key)) : T.make(integer: key)
  }

  /// Adds `n` to the count of (group, value id).
  @inline(__always) private func bump(group: Int, value: Int, by n: Int64) {
    let p = pairs.insert(UInt64(truncatingIfNeeded: group) << 32 | UInt64(truncatingIfNeeded: value))
    if p == counts.count { counts.append(n) } else { counts[p] &+= n }
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
      bump(group: g, value: self.values.insert(Self.key(p[i])), by: 1)
    }
  }

  func merge(_ other: GroupedAggregator) {
    guard let o = other as? GroupedMode<T> else { return }
    let ids = o.values.values.map { values.insert($0) }  // other's value id -> ours
    for (p, pair) in o.pairs.values.enumerated() {
      bump(group: Int(pair >> 32), value: ids[Int(pair & 0xFFFF_FFFF)], by: o.counts[p])
    }
  }

  func finish() -> [Scalar] {
    var best = Array(repeating: -1, count: groups)  // per group: its best pair id
    for (p, pair) in pairs.values.enumerated() {
      let g = Int(pair >> 32)
      guard g < groups else { continue }
      let b = best[g]
      if b < 0 || counts[p] > counts[b] || (counts[p] == counts[b] && value(of: p) < value(of: b)) { best[g] = p }
    }
    return best.map { $0 < 0 ? .null(dtype) : .of(value(of: $0), as: dtype) }
  }

  private func value(of pair: Int) -> T {
    Self.value(values.values[Int(pairs.values[pair] & 0xFFFF_FFFF)])
  }
}
