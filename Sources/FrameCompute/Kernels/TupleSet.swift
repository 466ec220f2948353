/// A set of tuples of `width` 64-bit words (the keys of a groupby by several columns)
/// with open addressing: tuples live side by side in one array, each gets a dense id in
/// insertion order, and a slot keeps a tuple's hash beside its id so most probes never
/// compare words.
public struct TupleSet: Sendable {
  private struct Slot { var hash: UInt32; var id: Int32 }  // id -1: empty
  public let width: Int
  /// Tuple `id` is words[id * width ..< (id + 1) * width].
  public private(set) var words: [UInt64] = []
  private var slots: [Slot] = Array(repeating: Slot(hash: 0, id: -1), count: 64)
  private var hashes: [UInt64] = []

  public init(width: Int) { self.width = max(1, width) }

  public var count: Int { hashes.count }

  /// Bytes the next growth allocates, about (a table twice as large, room for the
  /// tuples and their hashes): checked against the memory budget before a chunk's inserts.
  public var growthBytes: Int { slots.count * 2 * MemoryLayout<Slot>.stride + (words.count + hashes.count) * 8 }

  /// The id of the tuple at `t` (`width` words), inserting it if new.
  @inline(__always)
  public mutating func insert(_ t: UnsafePointer<UInt64>) -> Int {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15
    for j in 0..<width { h = (h ^ t[j]) &* 0xff51_afd7_ed55_8ccd; h ^= h >> 29 }
    h = h &* 0xc4ce_b9fe_1a85_ec53
    h ^= h >> 32
    let width = self.width, tag = UInt32(truncatingIfNeeded: h)
    let id = count
    let found: Int? = slots.withUnsafeMutableBufferPointer { s in
      words.withUnsafeBufferPointer { w in
        let mask = s.count - 1
        var i = Int(truncatingIfNeeded: h >> 32) & mask
        while true {
          let slot = s[i]
          if slot.id < 0 {
            s[i] = Slot(hash: tag, id: Int32(truncatingIfNeeded: id))
            return nil
          }
          if slot.hash == tag {
            let base = Int(slot.id) * width
            var same = true
            for j in 0..<width where w[base + j] != t[j] { same = false; break }
            if same { return Int(slot.id) }
          }
          i = (i + 1) & mask
        }
      }
    }
    if let found { return found }
    words.append(contentsOf: UnsafeBufferPointer(start: t, count: width))
    hashes.append(h)
    if count * 2 > slots.count { grow() }
    return id
  }

  private mutating func grow() {
    var bigger = Array(repeating: Slot(hash: 0, id: -1), count: slots.count * 2)
    let mask = bigger.count - 1
    for (id, h) in hashes.enumerated() {
      var i = Int(truncatingIfNeeded: h >> 32) & mask
      while bigger[i].id >= 0 { i = (i + 1) & mask }
      bigger[i] = Slot(hash: UInt32(truncatingIfNeeded: h), id: Int32(truncatingIfNeeded: id))
    }
    slots = bigger
  }
}
