import FrameStorage

/// A list of values of one dtype: distinct values, or a categorical's labels.
public enum ValueList: Sendable {
  /// Fixed-width values as 64-bit patterns of `dtype` (signed and temporal values
  /// sign-extended, floats as Double bits, bools 0/1).
  case fixed(DType, [UInt64])
  case strings([[UInt8]])

  public var count: Int {
    switch self {
    case .fixed(_, let v): v.count
    case .strings(let v): v.count
    }
  }
}

/// Per-thread state of a unique pass.
private final class UniqueState {
  let evaluator: Evaluator
  let filter: Evaluator?
  let mask = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkRows)
  var bits = UInt64Set()
  var strings = ByteStringSet()
  var hasMissing = false

  init(_ scan: Scan, _ program: Program) {
    evaluator = Evaluator(scan: scan, program: program)
    filter = scan.filter.map { Evaluator(scan: scan, program: $0) }
  }

  deinit { mask.deallocate() }
}

/// The distinct values of `program` over the rows of `scan` (after its filter), in one
/// pass: sorted (numbers by value with NaN last, strings by UTF-8 bytes, which is code
/// point order), and whether a value is missing.
public func uniqueValues(_ scan: Scan, program: Program, threads: Int = defaultThreadCount,
                         progress: ProgressHandler? = nil) throws(SFError) -> (values: ValueList, hasMissing: Bool) {
  try scan.checkFilesUnchanged()
  let chunks = scan.chunks
  let dtype = program.dtype
  let states = try runPass(chunkCount: chunks.count, threads: threads, progress: progress,
                           makeState: { UniqueState(scan, program) }) { (s: UniqueState, index: Int) throws(SFError) in
    let chunk = chunks[index]
    try checkMemoryBudget(dtype.isString ? s.strings.growthBytes : s.bits.growthBytes, for: "the distinct values")
    let keep = try s.filter.map { f throws(SFError) in truth(try f.evaluate(chunk), into: s.mask) }
    let v = try s.evaluator.evaluate(chunk, rows: keep)
    for i in 0..<chunk.count where keep.map({ $0[i] != 0 }) ?? true {
      guard v.isPresent(i) else { s.hasMissing = true; continue }
      if dtype.isString {
        s.strings.insert(v.string(i))
      } else {
        s.bits.insert(canonicalBits(v, i))
      }
    }
    chunk.releasePages(of: scan.table)
  }
  let hasMissing = states.contains { $0.hasMissing }
  try checkMemoryBudget(states.reduce(0) { $0 + (dtype.isString ? $1.strings.growthBytes : $1.bits.growthBytes) },
                        for: "merging the distinct values")
  if dtype.isString {
    var all = ByteStringSet()
    var out: [[UInt8]] = []
    for s in states {
      for id in 0..<s.strings.count {
        let value = s.strings.value(id)
        let before = all.count
        value.withUnsafeBytes { _ = all.insert($0) }
        if all.count > before { out.append(Array(value)) }
      }
    }
    out.sort { $0.lexicographicallyPrecedes($1) }
    return (.strings(out), hasMissing)
  }
  var all = states.first?.bits ?? UInt64Set()
  for s in states.dropFirst() { for v in s.bits.values { all.insert(v) } }
  return (.fixed(dtype, all.values.sorted(by: sortOrder(dtype))), hasMissing)
}

/// Row `i` of a fixed-width vector as 64 bits, with the values numpy's unique counts
/// as one made equal: -0.0 and 0.0, and every NaN.
@inline(__always)
func canonicalBits(_ v: Vec, _ i: Int) -> UInt64 {
  let p = v.values
  switch v.dtype {
  case .float64, .float32:
    let d = v.dtype == .float64 ? p.load(fromByteOffset: i * 8, as: Double.self)
                                : Double(p.load(fromByteOffset: i * 4, as: Float.self))
    if d.isNaN { return Double.nan.bitPattern }
    return (d == 0 ? 0.0 : d).bitPattern
  case .bool, .uint8: return UInt64(p.load(fromByteOffset: i, as: UInt8.self))
  case .uint16: return UInt64(p.load(fromByteOffset: i * 2, as: UInt16.self))
  case .uint32: return UInt64(p.load(fromByteOffset: i * 4, as: UInt32.self))
  case .uint64: return p.load(fromByteOffset: i * 8, as: UInt64.self)
  case .int8: return UInt64(bitPattern: Int64(p.load(fromByteOffset: i, as: Int8.self)))
  case .int16: return UInt64(bitPattern: Int64(p.load(fromByteOffset: i * 2, as: Int16.self)))
  case .int32, .date32: return UInt64(bitPattern: Int64(p.load(fromByteOffset: i * 4, as: Int32.self)))
  default: return p.load(fromByteOffset: i * 8, as: UInt64.self)
  }
}

func sortOrder(_ dtype: DType) -> (UInt64, UInt64) -> Bool {
  if dtype.isFloat {
    return { a, b in
      let (x, y) = (Double(bitPattern: a), Double(bitPattern: b))
      return y.isNaN ? !x.isNaN : x < y
    }
  }
  if dtype.isUnsignedInteger || dtype == .bool { return { $0 < $1 } }
  return { Int64(bitPattern: $0) < Int64(bitPattern: $1) }
}

/// `canonicalBits` of rows 0..<n into `out`, with one loop per dtype.
func canonicalWords(_ v: Vec, _ n: Int, into out: UnsafeMutablePointer<UInt64>) {
  func load<T>(_: T.Type, _ bits: (T) -> UInt64) {
    let p = v.values.assumingMemoryBound(to: T.self)
    for i in 0..<n { out[i] = bits(p[i]) }
  }
  func canonical(_ d: Double) -> UInt64 { d.isNaN ? Double.nan.bitPattern : (d == 0 ? 0.0 : d).bitPattern }
  switch v.dtype {
  case .float64: load(Double.self, canonical)
  case .float32: load(Float.self) { canonical(Double($0)) }
  case .bool, .uint8: load(UInt8.self) { UInt64($0) }
  case .uint16: load(UInt16.self) { UInt64($0) }
  case .uint32: load(UInt32.self) { UInt64($0) }
  case .int8: load(Int8.self) { UInt64(bitPattern: Int64($0)) }
  case .int16: load(Int16.self) { UInt64(bitPattern: Int64($0)) }
  case .int32, .date32: load(Int32.self) { UInt64(bitPattern: Int64($0)) }
  default: load(UInt64.self) { $0 }
  }
}
