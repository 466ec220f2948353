#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes that grow by `realloc`: a failed allocation is an SFError (memory limits
/// are reached while converting large files), never a trap as with Swift arrays.
final class GrowableBuffer {
  private(set) var base: UnsafeMutableRawPointer?
  private(set) var count = 0
  private(set) var capacity = 0

  deinit { free(base) }

  /// Makes room for `total` bytes.
  func reserve(_ total: Int) throws(SFError) {
    guard total > capacity else { return }
    var grown = max(4096, capacity)
    while grown < total {
      let (doubled, overflow) = grown.multipliedReportingOverflow(by: 2)
      guard !overflow else { throw SFError(.outOfMemory, "cannot allocate \(total) bytes") }
      grown = doubled
    }
    guard let p = realloc(base, grown) else {
      throw SFError(.outOfMemory, "out of memory: cannot allocate \(grown) bytes for a CSV column")
    }
    base = p
    capacity = grown
  }

  @inline(__always)
  func append<T>(_ value: T) throws(SFError) {
    let size = MemoryLayout<T>.size
    if count + size > capacity { try reserve(count + size) }
    base.unsafelyUnwrapped.storeBytes(of: value, toByteOffset: count, as: T.self)
    count += size
  }

  func append(_ bytes: CSVField) throws(SFError) {
    guard let source = bytes.baseAddress, bytes.count > 0 else { return }
    if count + bytes.count > capacity { try reserve(count + bytes.count) }
    (base.unsafelyUnwrapped + count).copyMemory(from: source, byteCount: bytes.count)
    count += bytes.count
  }

  var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// Empties the buffer, keeping its memory for the next block.
  func removeAll() { count = 0 }
}

/// The values of one column of one block, in Arrow's layout for its type.
final class CSVColumnBuilder {
  /// The type the column is being converted to.
  let type: CSVType
  /// True when the type comes from a `dtype` override: a value that does not parse is an error.
  let fixed: Bool
  private(set) var length = 0
  private(set) var nullCount = 0
  private let validity = GrowableBuffer()
  private let values = GrowableBuffer()
  private let data = GrowableBuffer()
  /// The wider type an unparsable value asked for (inferred types only).
  private(set) var widened: CSVType?

  enum Outcome { case ok, mismatch, invalidUTF8, tooLarge }

  init(type: CSVType, fixed: Bool) throws(SFError) {
    self.type = type
    self.fixed = fixed
    if type == .string { try values.append(Int32(0)) }
  }

  /// Empties the builder for the next block, keeping its memory (no page faults, no
  /// allocator traffic between waves).
  func reset() throws(SFError) {
    length = 0
    nullCount = 0
    widened = nil
    validity.removeAll()
    values.removeAll()
    data.removeAll()
    if type == .string { try values.append(Int32(0)) }
  }

  @inline(__always)
  private func appendValid(_ valid: Bool) throws(SFError) {
    if length & 7 == 0 { try validity.append(UInt8(0)) }
    if valid {
      let p = validity.base.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
      p[length >> 3] |= UInt8(1) << UInt8(length & 7)
    } else {
      nullCount += 1
    }
  }

  @inline(__always)
  private func appendBit(_ bit: Bool) throws(SFError) {
    if length & 7 == 0 { try values.append(UInt8(0)) }
    if bit {
      let p = values.base.unsafelyUnwrapped.assumingMemoryBound(to: UInt8.self)
      p[length >> 3] |= UInt8(1) << UInt8(length & 7)
    }
  }

  private func appendNull() throws(SFError) {
    try appendValid(false)
    switch type {
    case .bool: try appendBit(false)
    case .int32, .date32: try values.append(Int32(0))
    case .int64, .timestamp: try values.append(Int64(0))
    case .float32: try values.append(Float(0))
    case .null, .float64: try values.append(Double(0))
    case .string: try values.append(Int32(truncatingIfNeeded: data.count))
    }
    length += 1
  }

  /// Appends one field's value (or a null when it is missing or does not parse).
  func append(_ f: CSVField) throws(SFError) -> Outcome {
    if CSVParse.isMissing(f) {
      try appendNull()
      return .ok
    }
    switch type {
    case .bool:
      if let v = CSVParse.bool(f) { try appendValid(true); try appendBit(v); length += 1; return .ok }
    case .int64:
      if let v = CSVParse.int64(f) { try appendValid(true); try values.append(v); length += 1; return .ok }
    case .int32:
      if let v = CSVParse.int64(f), let w = Int32(exactly: v) {
        try appendValid(true); try values.append(w); length += 1; return .ok
      }
    case .float64:
      if let v = CSVParse.double(f) { try appendValid(true); try values.append(v); length += 1; return .ok }
    case .float32:
      if let v = CSVParse.double(f) { try appendValid(true); try values.append(Float(v)); length += 1; return .ok }
    case .date32:
      if let v = CSVParse.date(f) { try appendValid(true); try values.append(v); length += 1; return .ok }
    case .timestamp:
      if let v = CSVParse.timestamp(f) { try appendValid(true); try values.append(v); length += 1; return .ok }
    case .string:
      guard CSVParse.isValidUTF8(f) else { return .invalidUTF8 }
      guard data.count + f.count <= Int(Int32.max) else { return .tooLarge }
      try appendValid(true)
      try data.append(f)
      try values.append(Int32(data.count))
      length += 1
      return .ok
    case .null:
      break
    }
    if fixed { return .mismatch }
    widened = (widened ?? type).joined(CSVParse.classify(f))
    try appendNull()
    return .ok
  }

  /// The column's buffers in Arrow's order, valid while the builder lives.
  var column: ArrowFileWriter.Column {
    let none = UnsafeRawBufferPointer(start: nil, count: 0)
    let valid = nullCount == 0 ? none : UnsafeRawBufferPointer(start: validity.base, count: (length + 7) / 8)
    if type == .string {
      return .init(length: length, nullCount: nullCount, buffers: [valid, values.bytes, data.bytes])
    }
    return .init(length: length, nullCount: nullCount, buffers: [valid, values.bytes])
  }
}
