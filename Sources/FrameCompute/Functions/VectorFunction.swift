import FrameStorage

/// An element-wise function of an expression, bound when the expression is type
/// checked: its operands' dtypes are fixed and its literal parameters (a pattern, a
/// width, a format) already parsed, so evaluating a chunk decides nothing per row.
/// Families of functions (math, strings, datetimes, missing values) live in files of
/// their own, each with a `bind…` extension of the type checker that makes them.
public protocol VectorFunction: Sendable {
  /// The result over one chunk of the evaluated operands (`args`, in the node's
  /// children order), written into `out`, the node's own scratch. `out.rows`, when
  /// set, marks the rows the result is wanted for: a function whose errors depend on
  /// values raises them only for those rows.
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec
}

/// The scratch memory of one expression node on one thread, allocated on first use
/// and reused for every chunk of a pass.
public final class Scratch {
  /// Rows in the current chunk.
  public internal(set) var count = 0
  /// Rows the result is wanted for (nil: all), see `VectorFunction.evaluate`.
  public internal(set) var rows: UnsafePointer<UInt8>? = nil
  private var valueStorage: UnsafeMutableRawPointer?
  private var maskStorage: UnsafeMutablePointer<UInt8>?
  private var stringStorage: StringBuilder?
  /// What a function keeps per thread across chunks (a regex's match data), made by
  /// the function on first use and released with the scratch.
  public var state: AnyObject?

  init() {}

  deinit {
    valueStorage?.deallocate()
    maskStorage?.deallocate()
  }

  /// Room for `chunkRows` values of up to 8 bytes, 64-byte aligned.
  public var values: UnsafeMutableRawPointer {
    if let p = valueStorage { return p }
    let p = UnsafeMutableRawPointer.allocate(byteCount: chunkRows * 8, alignment: 64)
    valueStorage = p
    return p
  }

  /// Room for `chunkRows` presence bytes (1 present, 0 missing).
  public var mask: UnsafeMutablePointer<UInt8> {
    if let p = maskStorage { return p }
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: chunkRows)
    maskStorage = p
    return p
  }

  /// The node's string builder, emptied: call once per chunk.
  public func newStrings() -> StringBuilder {
    let b = stringStorage ?? StringBuilder()
    stringStorage = b
    b.reset()
    return b
  }

  /// The presence of a result computed from `parts` (missing if any operand is):
  /// nil if none has missing values, shared if one has, else their AND in `mask`.
  public func validity(_ parts: [UnsafePointer<UInt8>?]) -> UnsafePointer<UInt8>? {
    let present = parts.compactMap { $0 }
    if present.count <= 1 { return present.first }
    andMasks(present[0], present[1], mask, count)
    for extra in present.dropFirst(2) { andMasks(mask, extra, mask, count) }
    return UnsafePointer(mask)
  }

  /// A fixed-width result of `dtype` in `values`.
  public func vec(_ dtype: DType, valid: UnsafePointer<UInt8>?) -> Vec {
    Vec(dtype: dtype, values: UnsafeRawPointer(values), valid: valid, count: count)
  }
}

/// Computed strings of one chunk, as Arrow large_utf8: int64 offsets and bytes.
/// Append a row's bytes, then `endRow()`; `vec` hands the result out.
public final class StringBuilder {
  private let offsets: UnsafeMutablePointer<Int64>
  private var bytes: UnsafeMutableRawPointer
  private var capacity: Int
  private var used = 0
  private var row = 0

  init() {
    offsets = .allocate(capacity: chunkRows + 1)
    capacity = 1 << 16
    bytes = .allocate(byteCount: capacity, alignment: 64)
    offsets[0] = 0
  }

  deinit {
    offsets.deallocate()
    bytes.deallocate()
  }

  func reset() {
    used = 0
    row = 0
  }

  @inline(__always)
  private func reserve(_ extra: Int) {
    if used + extra > capacity { grow(extra) }
  }

  @inline(never)
  private func grow(_ extra: Int) {
    var grown = capacity * 2
    while grown < used + extra { grown *= 2 }
    let p = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
    p.copyMemory(from: bytes, byteCount: used)
    bytes.deallocate()
    bytes = p
    capacity = grown
  }

  public func append(_ s: UnsafeRawBufferPointer) {
    guard let base = s.baseAddress, s.count > 0 else { return }
    reserve(s.count)
    (bytes + used).copyMemory(from: base, byteCount: s.count)
    used += s.count
  }

  @inline(__always)
  public func append(_ byte: UInt8) {
    reserve(1)
    bytes.storeBytes(of: byte, toByteOffset: used, as: UInt8.self)
    used += 1
  }

  public func append<S: Sequence>(contentsOf s: S) where S.Element == UInt8 {
    for b in s { append(b) }
  }

  /// Bytes appended in this chunk so far.
  public var byteCount: Int { used }

  /// Ends the current row (an empty string if nothing was appended).
  public func endRow() {
    row += 1
    offsets[row] = Int64(used)
  }

  /// The rows built so far as a large_string vector.
  public func vec(valid: UnsafePointer<UInt8>?) -> Vec {
    Vec(dtype: .largeString, values: UnsafeRawPointer(bytes), valid: valid, count: row,
        offsets: UnsafeRawPointer(offsets))
  }
}

extension StringBuilder {
  /// The decimal digits of `v` (a minus sign first when negative), zero-padded to
  /// `width`, without allocating.
  public func appendNumber(_ v: Int64, width: Int = 0) {
    var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits
    var m = v.magnitude
    var n = 0
    withUnsafeMutableBytes(of: &digits) { d in
      repeat {
        d[n] = UInt8(48 + m % 10)
        m /= 10
        n += 1
      } while m > 0
      if v < 0 { append(45) }
      var pad = width - n
      while pad > 0 { append(48); pad -= 1 }
      while n > 0 { n -= 1; append(d[n]) }
    }
  }
}

extension Vec {
  /// The bytes of string `i` of a string vector (offsets are absolute in `values`).
  @inline(__always)
  public func string(_ i: Int) -> UnsafeRawBufferPointer {
    guard let o = offsets else { return UnsafeRawBufferPointer(start: nil, count: 0) }
    let (start, end) = dtype == .string
      ? (Int(o.load(fromByteOffset: i * 4, as: Int32.self)), Int(o.load(fromByteOffset: (i + 1) * 4, as: Int32.self)))
      : (Int(o.load(fromByteOffset: i * 8, as: Int64.self)), Int(o.load(fromByteOffset: (i + 1) * 8, as: Int64.self)))
    return UnsafeRawBufferPointer(start: values + start, count: end - start)
  }

  /// Whether row `i` is present.
  @inline(__always)
  public func isPresent(_ i: Int) -> Bool { valid.map { $0[i] != 0 } ?? true }
}
