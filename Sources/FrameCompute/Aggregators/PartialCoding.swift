import FrameStorage

// Serialized partial states (README.md): each state writes its arrays with
// `PartialWriter` and reads them back with `PartialReader`, scattering group j of the
// bytes to group `into[j]` of a fresh state (a groupby merges partitions whose groups
// differ; a negative group drops the bytes' group). Integers are little-endian; a length or size that does not fit is a
// `.corrupt` error, never a trap. A new kind conforms its states to `PartialCodable`.

/// A state that serializes: `encode` writes every group; `decode` reads into a fresh
/// state, group j of the bytes going to group `into[j]`.
protocol PartialCodable: AnyObject {
  func encode(_ w: inout PartialWriter)
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError)
}

struct PartialWriter {
  var bytes: [UInt8] = []

  mutating func u8(_ v: UInt8) { bytes.append(v) }
  mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
  mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
  mutating func f64(_ v: Double) { u64(v.bitPattern) }
  mutating func blob(_ b: [UInt8]) { u64(UInt64(b.count)); bytes += b }
  mutating func text(_ s: String) { blob(Array(s.utf8)) }

  /// An array of plain values (numbers, bools): its count, its element size, its bytes.
  mutating func array<T>(_ a: [T]) {
    u64(UInt64(a.count))
    u32(UInt32(MemoryLayout<T>.size))
    a.withUnsafeBytes { bytes += $0 }
  }
}

struct PartialReader {
  let bytes: [UInt8]
  var at = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var atEnd: Bool { at == bytes.count }

  func corrupt(_ what: String) -> SFError {
    .corrupt("corrupt partial state: \(what) at byte \(at) of \(bytes.count)")
  }

  /// The next `n` bytes' start, checked to be there.
  mutating func take(_ n: Int, _ what: String) throws(SFError) -> Int {
    guard n >= 0, n <= bytes.count - at else { throw corrupt("truncated \(what)") }
    defer { at += n }
    return at
  }

  mutating func u8() throws(SFError) -> UInt8 { bytes[try take(1, "byte")] }

  mutating func u32() throws(SFError) -> UInt32 {
    let p = try take(4, "integer")
    var v: UInt32 = 0
    for k in 0..<4 { v |= UInt32(bytes[p + k]) << (8 * k) }
    return v
  }

  mutating func u64() throws(SFError) -> UInt64 {
    let p = try take(8, "integer")
    var v: UInt64 = 0
    for k in 0..<8 { v |= UInt64(bytes[p + k]) << (8 * k) }
    return v
  }

  mutating func i32() throws(SFError) -> Int32 { Int32(bitPattern: try u32()) }
  mutating func f64() throws(SFError) -> Double { Double(bitPattern: try u64()) }

  /// A count or length, checked against what is left (each item at least `unit` bytes).
  mutating func count(_ what: String, unit: Int = 1) throws(SFError) -> Int {
    let n = try u64()
    guard n <= UInt64(bytes.count - at) / UInt64(max(1, unit)) else { throw corrupt("\(what) count \(n) too large") }
    return Int(n)
  }

  /// A u32 count of items of at least `unit` bytes each, checked against what is left.
  mutating func small(_ what: String, unit: Int) throws(SFError) -> Int {
    let n = Int(try u32())
    guard n <= (bytes.count - at) / max(1, unit) else { throw corrupt("\(what) count \(n) too large") }
    return n
  }

  mutating func blob() throws(SFError) -> [UInt8] {
    let n = try count("byte")
    let p = try take(n, "bytes")
    return Array(bytes[p..<(p + n)])
  }

  mutating func text() throws(SFError) -> String {
    let b = try blob()
    guard let s = String(validating: b, as: UTF8.self) else { throw corrupt("invalid UTF-8 in a name") }
    return s
  }

  /// Reads an `array` of plain values, element j into `a[into[j]]`.
  mutating func array<T>(into a: inout [T], at groups: [Int]) throws(SFError) {
    let n = try u64()
    let width = try u32()
    guard width == MemoryLayout<T>.size else { throw corrupt("element size \(width), expected \(MemoryLayout<T>.size)") }
    guard n == UInt64(groups.count) else { throw corrupt("\(n) groups, expected \(groups.count)") }
    let p = try take(groups.count * MemoryLayout<T>.size, "array")
    for g in groups where g >= a.count { throw corrupt("group \(g) out of range") }
    let size = MemoryLayout<T>.size
    bytes.withUnsafeBytes { raw in
      for (j, g) in groups.enumerated() where g >= 0 {  // a negative group drops the value
        withUnsafeMutableBytes(of: &a[g]) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[(p + j * size)..<(p + (j + 1) * size)])) }
      }
    }
  }

  /// One plain value (a scalar state's field).
  mutating func value<T>(_ v: inout T) throws(SFError) {
    var one = [v]
    try array(into: &one, at: [0])
    v = one[0]
  }
}

// MARK: Single states (one group; decode takes groups == [0])

extension CountAggregator: PartialCodable {
  func encode(_ w: inout PartialWriter) { w.array([count]) }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) { try r.value(&count) }
}

extension SumAggregator: PartialCodable {
  func encode(_ w: inout PartialWriter) {
    w.array([floatSum])
    w.array([intSum])
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    try r.value(&floatSum)
    try r.value(&intSum)
  }
}

extension MomentsAggregator: PartialCodable {
  func encode(_ w: inout PartialWriter) { w.array([n, mean, m2]) }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    var v = [0.0, 0, 0]
    try r.array(into: &v, at: [0, 1, 2])
    (n, mean, m2) = (v[0], v[1], v[2])
  }
}

extension ExtremeAggregator: PartialCodable {
  func encode(_ w: inout PartialWriter) {
    w.array([UInt8(best == nil ? 0 : 1)])
    w.array([best ?? T.make(integer: 0)])
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    var has: UInt8 = 0, value = T.make(integer: 0)
    try r.value(&has)
    try r.value(&value)
    best = has != 0 ? value : nil
  }
}

extension SingleGroup: PartialCodable {
  func encode(_ w: inout PartialWriter) { (inner as? PartialCodable)?.encode(&w) }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    guard let inner = inner as? PartialCodable else { throw .argument("this statistic has no serialized state") }
    try inner.decode(&r, into: groups)
  }
}

// MARK: Grouped states

extension GroupedCount: PartialCodable {
  func encode(_ w: inout PartialWriter) { w.array(counts) }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) { try r.array(into: &counts, at: groups) }
}

extension GroupedSum: PartialCodable {
  func encode(_ w: inout PartialWriter) { w.array(T.isFloatingPoint ? floats.map(\.bitPattern) : ints) }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    if T.isFloatingPoint {
      var bits = floats.map(\.bitPattern)
      try r.array(into: &bits, at: groups)
      floats = bits.map(Double.init(bitPattern:))
    } else {
      try r.array(into: &ints, at: groups)
    }
  }
}

/// A state made of per-group arrays of Double (the moments): encoded and decoded in the
/// order of `fields`, so each state names its arrays once.
protocol DoubleArraysCodable: PartialCodable {
  static var fields: [ReferenceWritableKeyPath<Self, [Double]>] { get }
}

extension DoubleArraysCodable {
  func encode(_ w: inout PartialWriter) {
    for f in Self.fields { w.array(self[keyPath: f]) }
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    for f in Self.fields { try r.array(into: &self[keyPath: f], at: groups) }
  }
}

extension GroupedMoments: DoubleArraysCodable {
  static var fields: [ReferenceWritableKeyPath<GroupedMoments, [Double]>] { [\.n, \.mean, \.m2] }
}

extension GroupedExtreme: PartialCodable {
  func encode(_ w: inout PartialWriter) {
    w.array(best)
    w.array(has.map { UInt8($0 ? 1 : 0) })
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    try r.array(into: &best, at: groups)
    var flags = has.map { UInt8($0 ? 1 : 0) }
    try r.array(into: &flags, at: groups)
    has = flags.map { $0 != 0 }
  }
}

extension GroupedFirstLast: PartialCodable {
  func encode(_ w: inout PartialWriter) {
    w.array(value)
    w.array(row.map { Int64($0) })
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    try r.array(into: &value, at: groups)
    var rows = row.map { Int64($0) }
    try r.array(into: &rows, at: groups)
    row = rows.map { Int($0) }
  }
}

extension GroupedTruth: PartialCodable {
  func encode(_ w: inout PartialWriter) { w.array(state) }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) { try r.array(into: &state, at: groups) }
}

extension GroupedHigherMoments: DoubleArraysCodable {
  static var fields: [ReferenceWritableKeyPath<GroupedHigherMoments, [Double]>] { [\.n, \.mean, \.m2, \.m3, \.m4] }
}

extension GroupedCoMoments: DoubleArraysCodable {
  static var fields: [ReferenceWritableKeyPath<GroupedCoMoments, [Double]>] { [\.n, \.mx, \.my, \.c, \.m2x, \.m2y] }
}

extension GroupedDistinct: PartialCodable {
  func encode(_ w: inout PartialWriter) {
    w.array(sets.map { UInt64($0.count) })
    for s in sets { w.array(Array(s)) }
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    var counts = [UInt64](repeating: 0, count: groups.count)
    try r.array(into: &counts, at: Array(groups.indices))
    for (j, g) in groups.enumerated() {
      guard g < sets.count else { throw r.corrupt("group \(g) out of range") }
      var values = [UInt64](repeating: 0, count: min(Int(clamping: counts[j]), r.bytes.count / 8 + 1))
      guard UInt64(values.count) == counts[j] else { throw r.corrupt("distinct value count \(counts[j]) too large") }
      try r.array(into: &values, at: Array(values.indices))
      if g >= 0 { sets[g] = Set(values) }
    }
  }
}

extension GroupedMode: PartialCodable {
  func encode(_ w: inout PartialWriter) {
    var values: [UInt64] = [], groups: [Int32] = [], counts: [Int64] = []
    table.forEach { value, group, n in
      values.append(value)
      groups.append(group)
      counts.append(n)
    }
    w.u64(UInt64(values.count))
    for a in [values, groups.map { UInt64(UInt32(bitPattern: $0)) }, counts.map { UInt64(bitPattern: $0) }] { w.array(a) }
  }
  func decode(_ r: inout PartialReader, into groups: [Int]) throws(SFError) {
    let n = try r.count("mode pair", unit: 24)
    var values = [UInt64](repeating: 0, count: n), owners = values, counts = values
    let all = Array(0..<n)
    try r.array(into: &values, at: all)
    try r.array(into: &owners, at: all)
    try r.array(into: &counts, at: all)
    for j in 0..<n {
      guard owners[j] < UInt64(groups.count) else { throw r.corrupt("group \(owners[j]) out of range") }
      let g = groups[Int(owners[j])]
      guard g < self.groups else { throw r.corrupt("group \(g) out of range") }
      if g >= 0 { table.add(values[j], group: Int32(g), Int64(bitPattern: counts[j])) }
    }
  }
}
