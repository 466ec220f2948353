#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The column types a CSV converts to, and the parsers of one field's bytes.
/// Inference tries, for every value of the sample: missing, bool, int64,
/// float64, date32, timestamp[us], and keeps the narrowest type every value
/// parses as (`joined`): int64 and float64 join to float64, date32 and
/// timestamp to timestamp, anything else to string. int32 and float32 come only
/// from a `dtype` override.
public enum CSVType: String, Sendable, CaseIterable {
  /// No value seen yet (every sampled value missing); written as float64 of nulls.
  case null
  case bool, int32, int64, float32, float64, date32
  /// Microseconds since the epoch, no time zone.
  case timestamp
  case string

  /// The type named by a `dtype` override: numpy's, pandas' and Arrow's spellings.
  public init?(name: String) {
    switch name.lowercased() {
    case "bool", "boolean": self = .bool
    case "int32", "i4": self = .int32
    case "int64", "int", "i8": self = .int64
    case "float32", "float", "f4": self = .float32
    case "float64", "double", "f8": self = .float64
    case "date32", "date", "date32[day]": self = .date32
    case "timestamp", "timestamp[us]", "datetime64[us]", "datetime", "datetime64": self = .timestamp
    case "string", "str", "utf8", "object": self = .string
    default: return nil
    }
  }

  /// The Arrow type the column is written as.
  var arrowType: ArrowType {
    switch self {
    case .null, .float64: .float(bits: 64)
    case .bool: .bool
    case .int32: .int(bits: 32, signed: true)
    case .int64: .int(bits: 64, signed: true)
    case .float32: .float(bits: 32)
    case .date32: .date32
    case .timestamp: .timestamp(.microsecond, timezone: nil)
    case .string: .utf8(large: false)
    }
  }

  /// The narrowest inferred type both values parse as.
  func joined(_ other: CSVType) -> CSVType {
    if self == other || other == .null { return self }
    if self == .null { return other }
    switch (self, other) {
    case (.int64, .float64), (.float64, .int64): return .float64
    case (.date32, .timestamp), (.timestamp, .date32): return .timestamp
    default: return .string
    }
  }
}

/// One field's bytes (after unquoting).
typealias CSVField = UnsafeBufferPointer<UInt8>

enum CSVParse {
  /// Missing values, as pyarrow.csv's default `null_values` (and pandas' `na_values`).
  static let missingValues: [[UInt8]] = [
    "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null",
  ].map { Array($0.utf8) }

  @inline(__always)
  static func isMissing(_ f: CSVField) -> Bool {
    if f.count == 0 { return true }
    if f.count > 8 { return false }
    switch f[0] {
    case UInt8(ascii: "#"), UInt8(ascii: "-"), UInt8(ascii: "1"), UInt8(ascii: "N"), UInt8(ascii: "n"):
      // Only the spellings above: "-" and "1" must be followed by "N", "n" or ".#".
      if f.count == 1 { return false }
      if f[0] == UInt8(ascii: "-") || f[0] == UInt8(ascii: "1"), f[1] != UInt8(ascii: "N"), f[1] != UInt8(ascii: "n"),
         f[1] != UInt8(ascii: ".") && f[1] != UInt8(ascii: "1") { return false }
      for candidate in missingValues where candidate.count == f.count {
        var equal = true
        for k in 0..<f.count where candidate[k] != f[k] { equal = false; break }
        if equal { return true }
      }
      return false
    default: return false
    }
  }

  /// The type of one value for inference (null when missing).
  static func classify(_ f: CSVField) -> CSVType {
    if isMissing(f) { return .null }
    if bool(f) != nil { return .bool }
    if int64(f) != nil { return .int64 }
    if double(f) != nil { return .float64 }
    if date(f) != nil { return .date32 }
    if timestamp(f) != nil { return .timestamp }
    return .string
  }

  static func equalsASCII(_ f: CSVField, _ s: StaticString) -> Bool {
    guard f.count == s.utf8CodeUnitCount else { return false }
    let p = s.utf8Start
    for i in 0..<f.count where f[i] != p[i] { return false }
    return true
  }

  /// True/true/TRUE and False/false/FALSE, as pandas reads them.
  static func bool(_ f: CSVField) -> Bool? {
    switch f.count {
    case 4: return equalsASCII(f, "True") || equalsASCII(f, "true") || equalsASCII(f, "TRUE") ? true : nil
    case 5: return equalsASCII(f, "False") || equalsASCII(f, "false") || equalsASCII(f, "FALSE") ? false : nil
    default: return nil
    }
  }

  @inline(__always)
  static func digit(_ b: UInt8) -> UInt8? {
    let d = b &- 48
    return d < 10 ? d : nil
  }

  /// [+-]digits, nil on anything else or overflow.
  static func int64(_ f: CSVField) -> Int64? {
    var i = 0
    var negative = false
    if f.count > 0, f[0] == UInt8(ascii: "-") || f[0] == UInt8(ascii: "+") {
      negative = f[0] == UInt8(ascii: "-")
      i = 1
    }
    guard i < f.count else { return nil }
    var magnitude: UInt64 = 0
    while i < f.count {
      guard let d = digit(f[i]) else { return nil }
      let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
      let (a, o2) = m.addingReportingOverflow(UInt64(d))
      if o1 || o2 { return nil }
      magnitude = a
      i += 1
    }
    if negative {
      guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
      return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
    }
    guard magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
  }

  static let powersOfTen: [Double] = (0...22).map { e in
    var v = 1.0
    for _ in 0..<e { v *= 10 }
    return v
  }

  /// A decimal number ([+-] digits [. digits] [e [+-] digits]), inf/infinity or nan
  /// in any case. Exact (correctly rounded): Clinger's fast path when the digits
  /// fit a double exactly, else the C library's strtod.
  static func double(_ f: CSVField) -> Double? {
    let n = f.count
    var i = 0
    var negative = false
    if n > 0, f[0] == UInt8(ascii: "-") || f[0] == UInt8(ascii: "+") {
      negative = f[0] == UInt8(ascii: "-")
      i = 1
    }
    guard i < n else { return nil }
    if digit(f[i]) == nil, f[i] != UInt8(ascii: ".") {
      // inf, infinity, nan (any case).
      var word: [UInt8] = []
      for k in i..<n { word.append(f[k] | 0x20) }
      if word == Array("inf".utf8) || word == Array("infinity".utf8) { return negative ? -.infinity : .infinity }
      if word == Array("nan".utf8) { return .nan }
      return nil
    }
    var mantissa: UInt64 = 0
    var significant = 0
    var exponent = 0
    var exact = true
    var sawDigit = false
    while i < n, let d = digit(f[i]) {
      sawDigit = true
      if significant < 19 {
        mantissa = mantissa * 10 + UInt64(d)
        if mantissa != 0 { significant += 1 }
      } else {
        exponent += 1
        exact = false
      }
      i += 1
    }
    if i < n, f[i] == UInt8(ascii: ".") {
      i += 1
      while i < n, let d = digit(f[i]) {
        sawDigit = true
        if significant < 19 {
          mantissa = mantissa * 10 + UInt64(d)
          if mantissa != 0 { significant += 1 }
          exponent -= 1
        } else {
          exact = false
        }
        i += 1
      }
    }
    guard sawDigit else { return nil }
    if i < n, f[i] | 0x20 == UInt8(ascii: "e") {
      i += 1
      var negativeExponent = false
      if i < n, f[i] == UInt8(ascii: "-") || f[i] == UInt8(ascii: "+") {
        negativeExponent = f[i] == UInt8(ascii: "-")
        i += 1
      }
      guard i < n else { return nil }
      var e = 0
      while i < n, let d = digit(f[i]) {
        if e < 100_000 { e = e * 10 + Int(d) }
        i += 1
      }
      exponent += negativeExponent ? -e : e
    }
    guard i == n else { return nil }
    if exact, mantissa < (1 << 53), exponent >= -22, exponent <= 22 {
      let m = Double(mantissa)
      let v = exponent >= 0 ? m * powersOfTen[exponent] : m / powersOfTen[-exponent]
      return negative ? -v : v
    }
    // The slow path: strtod on a NUL-terminated copy (validated above, so no hex or spaces).
    var copy = [CChar](repeating: 0, count: n + 1)
    for k in 0..<n { copy[k] = CChar(bitPattern: f[k]) }
    return strtod(copy, nil)
  }

  /// YYYY-MM-DD: days since the epoch.
  static func date(_ f: CSVField) -> Int32? {
    guard f.count == 10, let (days, _) = ISO8601.parse(f) else { return nil }
    return Int32(days)
  }

  /// YYYY-MM-DD, or YYYY-MM-DD[T ]HH:MM:SS[.f…] (up to 9 fraction digits,
  /// truncated to microseconds): microseconds since the epoch.
  static func timestamp(_ f: CSVField) -> Int64? {
    guard let (days, nanos) = ISO8601.parse(f) else { return nil }
    return Int64(days) * 86_400_000_000 + nanos / 1000
  }

  /// Whether the bytes are valid UTF-8 (Arrow's utf8 type requires it).
  static func isValidUTF8(_ f: CSVField) -> Bool {
    var i = 0
    let n = f.count
    while i < n {
      let b = f[i]
      if b < 0x80 { i += 1; continue }
      let need: Int
      var minimum: UInt32
      var c: UInt32
      if b & 0xE0 == 0xC0 { need = 1; c = UInt32(b & 0x1F); minimum = 0x80 }
      else if b & 0xF0 == 0xE0 { need = 2; c = UInt32(b & 0x0F); minimum = 0x800 }
      else if b & 0xF8 == 0xF0 { need = 3; c = UInt32(b & 0x07); minimum = 0x10000 }
      else { return false }
      for k in 1...need {
        guard i + k < n else { return false }
        let cont = f[i + k]
        guard cont & 0xC0 == 0x80 else { return false }
        c = (c << 6) | UInt32(cont & 0x3F)
      }
      guard c >= minimum, c <= 0x10FFFF, !(0xD800...0xDFFF).contains(c) else { return false }
      i += need + 1
    }
    return true
  }
}
