/// A set of 64-bit values with open addressing and a multiplicative hash: several
/// times faster than Set<UInt64>, whose SipHash dominates a distinct-values pass. Each
/// value gets a dense id in insertion order, so the set doubles as a value -> id map.
/// A slot holds the value beside its id, so a probe touches one cache line. A null
/// member (a groupby's missing key) may take a dense id too, outside the values.
public struct UInt64Set: Sendable {
  private struct Slot { var value: UInt64; var id: Int32 }  // id -1: empty
  private var slots: [Slot] = Array(repeating: Slot(value: 0, id: -1), count: 64)
  /// 64 - log2(slots.count): the hash's top bits index the table.
  private var shift: UInt64 = 58
  /// The values by id (the null member's entry is a placeholder 0).
  public private(set) var values: [UInt64] = []
  /// The id of the null member, once inserted.
  public private(set) var nullID: Int?

  public init() {}

  /// The id of the null member, inserting it if new.
  public mutating func insertNull() -> Int {
    if let nullID { return nullID }
    nullID = values.count
    values.append(0)
    if values.count * 2 > slots.count { grow() }
    return values.count - 1
  }

  public var count: Int { values.count }

  /// Bytes the next growth allocates (a table twice as large, and room for the values):
  /// checked against the memory budget before a chunk's inserts (checkMemoryBudget).
  public var growthBytes: Int { slots.count * 2 * MemoryLayout<Slot>.stride + values.count * 8 }

  @inline(__always)
  private func home(_ v: UInt64) -> Int { Int(truncatingIfNeeded: (v &* 0x9E37_79B9_7F4A_7C15) >> shift) }

  /// The id of `v` if it is in the set.
  @inline(__always)
  public func find(_ v: UInt64) -> Int? {
    slots.withUnsafeBufferPointer { s in
      let mask = s.count - 1
      var i = home(v)
      while true {
        let slot = s[i]
        if slot.id < 0 { return nil }
        if slot.value == v { return Int(slot.id) }
        i = (i + 1) & mask
      }
    }
  }

  /// The id of `v`, inserting it if new.
  @discardableResult
  public mutating func insert(_ v: UInt64) -> Int {
    let id = values.count
    let start = home(v)
    let (found, inserted) = slots.withUnsafeMutableBufferPointer { s -> (Int, Bool) in
      let mask = s.count - 1
      var i = start
      while true {
        let slot = s[i]
        if slot.id < 0 {
          s[i] = Slot(value: v, id: Int32(truncatingIfNeeded: id))
          return (id, true)
        }
        if slot.value == v { return (Int(slot.id), false) }
        i = (i + 1) & mask
      }
    }
    guard inserted else { return found }
    values.append(v)
    if values.count * 2 > slots.count { grow() }
    return id
  }

  /// Makes room for `count` values in all without growing again.
  public mutating func reserve(_ count: Int) {
    while count * 2 > slots.count { grow() }
    values.reserveCapacity(count)
  }

  private mutating func grow() {
    var bigger = Array(repeating: Slot(value: 0, id: -1), count: slots.count * 2)
    shift -= 1
    let mask = bigger.count - 1
    for (id, v) in values.enumerated() where id != nullID {
      var i = home(v)
      while bigger[i].id >= 0 { i = (i + 1) & mask }
      bigger[i] = Slot(value: v, id: Int32(truncatingIfNeeded: id))
    }
    slots = bigger
  }
}
