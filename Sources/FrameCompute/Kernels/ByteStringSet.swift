#if canImport(Glibc)
import Glibc
#endif

/// A set of byte strings with open addressing: the bytes live in one growing arena, so
/// looking up a value that is already in costs no allocation (a Set<[UInt8]> would
/// make an Array per row). Each value gets a dense id in insertion order.
public struct ByteStringSet: Sendable {
  private struct Entry { var hash: UInt64; var start: Int; var length: Int }
  private var arena: [UInt8] = []
  private var entries: [Entry] = []
  /// Slots hold entry index + 1 (0 is empty); the count is a power of two.
  private var slots: [Int] = Array(repeating: 0, count: 64)

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
    slots[slot] = id + 1
    if entries.count * 2 > slots.count { grow() }
    return id
  }

  /// The id of `bytes` if it is in the set.
  public func find(_ bytes: UnsafeRawBufferPointer) -> Int? {
    probe(bytes, ByteStringSet.hash(bytes)).id
  }

  /// The slot holding `bytes` (hash `h`) and its id, or the empty slot where it would go.
  private func probe(_ bytes: UnsafeRawBufferPointer, _ h: UInt64) -> (slot: Int, id: Int?) {
    var i = Int(truncatingIfNeeded: h) & (slots.count - 1)
    while slots[i] != 0 {
      let e = entries[slots[i] - 1]
      if e.hash == h, e.length == bytes.count, equal(e, bytes) { return (i, slots[i] - 1) }
      i = (i + 1) & (slots.count - 1)
    }
    return (i, nil)
  }

  /// The bytes of value `id`.
  public func value(_ id: Int) -> ArraySlice<UInt8> {
    let e = entries[id]
    return arena[e.start..<(e.start + e.length)]
  }

  private func equal(_ e: Entry, _ bytes: UnsafeRawBufferPointer) -> Bool {
    guard e.length > 0, let base = bytes.baseAddress else { return true }
    return arena.withUnsafeBytes { a in a.baseAddress.map { memcmp($0 + e.start, base, e.length) == 0 } ?? false }
  }

  private mutating func grow() {
    slots = Array(repeating: 0, count: slots.count * 2)
    for (id, e) in entries.enumerated() {
      var i = Int(truncatingIfNeeded: e.hash) & (slots.count - 1)
      while slots[i] != 0 { i = (i + 1) & (slots.count - 1) }
      slots[i] = id + 1
    }
  }

  /// FNV-1a over the bytes, finished with a multiply-xorshift so low bits mix.
  @inline(__always)
  static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
    h ^= h >> 33
    h = h &* 0xff51_afd7_ed55_8ccd
    return h ^ (h >> 33)
  }
}
