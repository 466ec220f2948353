/// A set of 64-bit values with open addressing and a multiplicative hash: several
/// times faster than Set<UInt64>, whose SipHash dominates a distinct-values pass. Each
/// value gets a dense id in insertion order, so the set doubles as a value -> id map.
public struct UInt64Set: Sendable {
  /// Slots hold id + 1 (0 is empty); the count is a power of two, `shift` = 64 - log2.
  private var slots: [Int32] = Array(repeating: 0, count: 64)
  private var shift: UInt64 = 58
  public private(set) var values: [UInt64] = []

  public init() {}

  public var count: Int { values.count }

  @inline(__always)
  private func home(_ v: UInt64) -> Int { Int(truncatingIfNeeded: (v &* 0x9E37_79B9_7F4A_7C15) >> shift) }

  /// The id of `v` if it is in the set.
  @inline(__always)
  public func find(_ v: UInt64) -> Int? {
    let mask = slots.count - 1
    var i = home(v)
    while true {
      let s = slots[i]
      if s == 0 { return nil }
      if values[Int(s) - 1] == v { return Int(s) - 1 }
      i = (i + 1) & mask
    }
  }

  /// The id of `v`, inserting it if new.
  @discardableResult
  public mutating func insert(_ v: UInt64) -> Int {
    let mask = slots.count - 1
    var i = home(v)
    while true {
      let s = slots[i]
      if s == 0 { break }
      if values[Int(s) - 1] == v { return Int(s) - 1 }
      i = (i + 1) & mask
    }
    let id = values.count
    values.append(v)
    slots[i] = Int32(truncatingIfNeeded: id + 1)
    if values.count * 2 > slots.count { grow() }
    return id
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    shift -= 1
    let mask = slots.count - 1
    for (id, v) in values.enumerated() {
      var i = home(v)
      while slots[i] != 0 { i = (i + 1) & mask }
      slots[i] = Int32(truncatingIfNeeded: id + 1)
    }
  }
}
