import FrameStorage

/// The most frequent value per group, exactly (pandas' `Series.mode()[0]`): ties go to
/// the smallest value; missing and NaN values are skipped; -0.0 counts as 0.0; an empty
/// group is null. vaex's `df.mode` estimates the mode from a histogram; this one counts.
///
/// State: one open-addressing table of (group, value) -> count. Memory grows with the
/// number of distinct (group, value) pairs — 24 bytes a slot, at most half full — on
/// every worker thread until merged; never with the rows.
final class GroupedMode<T: ColumnValue>: GroupedAggregator {
  let dtype: DType
  let groups: Int
  var table = PairCounts()

  init(groups: Int, dtype: DType) {
    self.groups = groups
    self.dtype = dtype
  }

  /// The value whose `distinctBits` are `key`.
  @inline(__always) private static func value(_ key: UInt64) -> T {
    T.isFloatingPoint ? T.make(floating: Double(bitPattern: key)) : T.make(integer: key)
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
      table.add(distinctBits(p[i]), group: Int32(truncatingIfNeeded: g), 1)
    }
  }

  func merge(_ other: GroupedAggregator, map: GroupMap) {
    guard let o = other as? GroupedMode<T> else { return }
    table.reserve(for: o.table)
    o.table.forEach { value, group, n in
      guard group >= 0, Int(group) < map.count else { return }
      table.add(value, group: Int32(truncatingIfNeeded: map[Int(group)]), n)
    }
  }

  func finish() -> [Scalar] {
    var best = Array(repeating: (count: Int64(0), value: T.make(integer: 0)), count: groups)
    table.forEach { key, group, n in
      let g = Int(group), v = Self.value(key)
      guard g < groups else { return }
      if n > best[g].count || (n == best[g].count && v < best[g].value) { best[g] = (n, v) }
    }
    return best.map { $0.count == 0 ? .null(dtype) : .of($0.value, as: dtype) }
  }
}

/// A value as 64 bits that tell distinct values apart (nunique, mode): a float's float64
/// bits with -0.0 as 0.0, an integer's bits.
@inline(__always)
func distinctBits<T: ColumnValue>(_ v: T) -> UInt64 {
  T.isFloatingPoint ? (v.doubleValue + 0.0).bitPattern : v.converted(to: UInt64.self)
}

/// Counts per (group, 64-bit value): open addressing with linear probing, a slot holding
/// the key beside its count so a row costs one probe of one cache line.
struct PairCounts: ~Copyable {
  private struct Slot { var value: UInt64; var group: Int32; var count: Int64 }  // group -1: empty
  private var slots: UnsafeMutablePointer<Slot>
  private var capacity = 64, used = 0
  /// 64 - log2(capacity): the hash's top bits, which every bit of the key reaches, index the table.
  private var shift: UInt64 = 58

  init() {
    slots = .allocate(capacity: capacity)
    slots.initialize(repeating: Slot(value: 0, group: -1, count: 0), count: capacity)
  }

  deinit { slots.deallocate() }

  @inline(__always) private func home(_ value: UInt64, _ group: Int32) -> Int {
    let h = (value ^ UInt64(UInt32(bitPattern: group)) &* 0xC2B2_AE3D_27D4_EB4F) &* 0x9E37_79B9_7F4A_7C15
    return Int(truncatingIfNeeded: h >> shift)
  }

  /// Adds `n` to the count of (value, group); `group` is not negative.
  @inline(__always) mutating func add(_ value: UInt64, group: Int32, _ n: Int64) {
    let mask = capacity - 1
    var i = home(value, group)
    while true {
      let s = slots[i]
      if s.group < 0 { break }
      if s.value == value && s.group == group { slots[i].count &+= n; return }
      i = (i + 1) & mask
    }
    slots[i] = Slot(value: value, group: group, count: n)
    used += 1
    if used * 2 > capacity { grow() }
  }

  private mutating func grow() { resize(capacity * 2) }

  /// Room for the pairs of `other` too, in at least its capacity: its slots, read in
  /// order, then land in order (a smaller table would pile them into long runs).
  mutating func reserve(for other: borrowing PairCounts) {
    var wanted = Swift.max(capacity, other.capacity)
    while (used + other.used) * 2 > wanted { wanted *= 2 }
    if wanted > capacity { resize(wanted) }
  }

  private mutating func resize(_ newCapacity: Int) {
    let old = slots, oldCapacity = capacity
    capacity = newCapacity
    shift = UInt64(64 - capacity.trailingZeroBitCount)
    slots = .allocate(capacity: capacity)
    slots.initialize(repeating: Slot(value: 0, group: -1, count: 0), count: capacity)
    let mask = capacity - 1
    for k in 0..<oldCapacity where old[k].group >= 0 {
      var i = home(old[k].value, old[k].group)
      while slots[i].group >= 0 { i = (i + 1) & mask }
      slots[i] = old[k]
    }
    old.deallocate()
  }

  /// Every (value, group, count) held, in slot order.
  func forEach(_ body: (UInt64, Int32, Int64) -> Void) {
    for k in 0..<capacity where slots[k].group >= 0 { body(slots[k].value, slots[k].group, slots[k].count) }
  }
}
