/// A set of byte strings with open addressing: the bytes live in one growing arena, so
/// looking up a value that is already in costs no allocation (a Set<[UInt8]> would
/// make an Array per row). Each value gets a dense id in insertion order; a null
/// member (a groupby's missing key) may take one too.
public struct ByteStringSet: Sendable {
  private struct Entry { var hash: UInt64; var start: Int; var length: Int }
  private var arena: [UInt8] = []
  private var entries: [Entry] = []
  /// Slots hold entry index + 1 (0 is empty); the count is a power of two.
  private var slots: [Int32] = Array(repeating: 0, count: 64)
  /// The id of the null member, once inserted.
  public private(set) var nullID: Int?

  public init() {}

  public var count: Int { entries.count }

  /// Bytes the next growth allocates, about (a table twice as large, room for the entries
  /// and the bytes): checked against the memory budget before a chunk's inserts.
  public var growthBytes: Int { slots.count * 2 * 8 + entries.count * 24 + arena.count }

  /// The id of `bytes`, inserting it if new.
  @discardableResult
  public mutating func insert(_ bytes: UnsafeRawBufferPointer) -> Int {
    let h = ByteStringSet.hash(bytes)
    let (slot, found) = probe(bytes, h)
    if let found { return found }
    let id = entries.count
    entries.append(Entry(hash: h, start: arena.count, length: bytes.count))
    arena.append(contentsOf: bytes)
    slots[slot] = Int32(truncatingIfNeeded: id + 1)
    if entries.count * 2 > slots.count { grow() }
    return id
  }

  /// The id of the null member, inserting it if new.
  public mutating func insertNull() -> Int {
    if let nullID { return nullID }
    nullID = entries.count
    entries.append(Entry(hash: 0, start: arena.count, length: 0))
    if entries.count * 2 > slots.count { grow() }
    return entries.count - 1
  }

  /// The id of `bytes` if it is in the set.
  public func find(_ bytes: UnsafeRawBufferPointer) -> Int? {
    probe(bytes, ByteStringSet.hash(bytes)).id
  }

  /// The slot holding `bytes` (hash `h`) and its id, or the empty slot where it would go.
  @inline(__always)
  private func probe(_ bytes: UnsafeRawBufferPointer, _ h: UInt64) -> (slot: Int, id: Int?) {
    slots.withUnsafeBufferPointer { slots in
      entries.withUnsafeBufferPointer { entries in
        arena.withUnsafeBytes { arena in
          let mask = slots.count - 1
          var i = Int(truncatingIfNeeded: h) & mask
          while slots[i] != 0 {
            let id = Int(slots[i]) - 1
            let e = entries[id]
            if e.hash == h, e.length == bytes.count,
               e.length == 0 || sameBytes(arena.baseAddress! + e.start, bytes.baseAddress!, e.length) {
              return (i, id)
            }
            i = (i + 1) & mask
          }
          return (i, nil)
        }
      }
    }
  }

  /// Whether `n` bytes at `a` and `b` are equal: eight at a time, inline (keys are
  /// short; a call to memcmp per probe cost more than the comparison).
  @inline(__always)
  private func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
      if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
        return false
      }
      i += 8
    }
    while i < n {
      if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
      i += 1
    }
    return true
  }

  /// The bytes of value `id`.
  public func value(_ id: Int) -> ArraySlice<UInt8> {
    let e = entries[id]
    return arena[e.start..<(e.start + e.length)]
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    for (id, e) in entries.enumerated() where id != nullID {
      var i = Int(truncatingIfNeeded: e.hash) & (slots.count - 1)
      while slots[i] != 0 { i = (i + 1) & (slots.count - 1) }
      slots[i] = Int32(truncatingIfNeeded: id + 1)
    }
  }

  /// Eight bytes at a time, each word folded in with a multiply-xorshift, so short keys
  /// cost a few multiplies and the low bits (the slot) depend on every byte.
  @inline(__always)
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    let k: UInt64 = 0xff51_afd7_ed55_8ccd
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    if let p = bytes.baseAddress {
      let n = bytes.count
      var i = 0
      while i + 8 <= n {
        h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* k
        h ^= h >> 29
        i += 8
      }
      if i < n {
        var tail: UInt64 = 0
        for j in i..<n { tail |= UInt64(p.load(fromByteOffset: j, as: UInt8.self)) << UInt64(8 * (j - i)) }
        h = (h ^ tail) &* k
        h ^= h >> 29
      }
    }
    h = h &* 0xc4ce_b9fe_1a85_ec53
    return h ^ (h >> 32)
  }
}
