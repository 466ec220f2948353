#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// `astype(x, 'str')`: numbers and bools printed as numpy's astype(str) prints them:
/// integers in decimal, bools as True/False, floats in their shortest round-trip
/// digits, positional from 1e-4 up to 1e16 (float32: 1e6, as numpy prints float32)
/// and scientific outside (`1e+16`, `2.5e-05`), and nan, inf, -inf.
struct FormatNumber: VectorFunction {
  let dtype: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let b = out.newStrings()
    let values = a.values
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
      for i in 0..<out.count {
        defer { b.endRow() }
        guard a.isPresent(i) else { continue }
        switch dtype {
        case .bool:
          let v = values.load(fromByteOffset: i, as: UInt8.self) != 0
          b.append(contentsOf: (v ? "True" : "False").utf8)
        case .int8: appendInteger(Int64(values.load(fromByteOffset: i, as: Int8.self)), b, buffer)
        case .int16: appendInteger(Int64(values.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)), b, buffer)
        case .int32: appendInteger(Int64(values.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)), b, buffer)
        case .int64: appendInteger(values.loadUnaligned(fromByteOffset: i * 8, as: Int64.self), b, buffer)
        case .uint8: appendUnsigned(UInt64(values.load(fromByteOffset: i, as: UInt8.self)), b, buffer)
        case .uint16: appendUnsigned(UInt64(values.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)), b, buffer)
        case .uint32: appendUnsigned(UInt64(values.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)), b, buffer)
        case .uint64: appendUnsigned(values.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self), b, buffer)
        case .float32:
          let v = values.loadUnaligned(fromByteOffset: i * 4, as: Float.self)
          appendFloat(v.isNaN, v.isInfinite, v.sign == .minus, v.description, positional: positional(Double(v), 1e6), b, buffer)
        case .float64:
          let v = values.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
          appendFloat(v.isNaN, v.isInfinite, v.sign == .minus, v.description, positional: positional(v, 1e16), b, buffer)
        default:
          break
        }
      }
    }
    return b.vec(valid: a.valid)
  }
}

@inline(__always)
private func appendUnsigned(_ v: UInt64, _ b: StringBuilder, _ buffer: UnsafeMutableBufferPointer<UInt8>) {
  var v = v
  var n = buffer.count
  repeat {
    n -= 1
    buffer[n] = UInt8(48 + v % 10)
    v /= 10
  } while v > 0 && n > 0
  b.append(UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[n...])))
}

@inline(__always)
private func appendInteger(_ v: Int64, _ b: StringBuilder, _ buffer: UnsafeMutableBufferPointer<UInt8>) {
  if v < 0 { b.append(UInt8(ascii: "-")) }
  appendUnsigned(v.magnitude, b, buffer)
}

/// Re-spells Swift's shortest round-trip `description` of a float in numpy's layout.
/// Whether numpy prints `v` positionally: 1e-4 <= |v| < cutoff, compared by value
/// (float32's 1e-4, just below it, prints as 1e-04), or zero.
@inline(__always)
private func positional(_ v: Double, _ cutoff: Double) -> Bool {
  let a = abs(v)
  return a == 0 || (a >= 1e-4 && a < cutoff)
}

private func appendFloat(_ nan: Bool, _ infinite: Bool, _ negative: Bool, _ text: String, positional: Bool,
                         _ b: StringBuilder, _ buffer: UnsafeMutableBufferPointer<UInt8>) {
  if nan { b.append(contentsOf: "nan".utf8); return }
  if infinite { b.append(contentsOf: (negative ? "-inf" : "inf").utf8); return }
  // Digits (into buffer), how many precede the point, and the written exponent.
  var count = 0, integerDigits = 0, exponent = 0
  var seenPoint = false, inExponent = false, exponentNegative = false
  for c in text.utf8 {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"):
      if inExponent {
        exponent = exponent &* 10 &+ Int(c - 48)
      } else if count < buffer.count {
        buffer[count] = c
        count += 1
        if !seenPoint { integerDigits += 1 }
      }
    case UInt8(ascii: "."): seenPoint = true
    case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
    case UInt8(ascii: "-"): if inExponent { exponentNegative = true }
    default: break
    }
  }
  if exponentNegative { exponent = -exponent }
  if negative { b.append(UInt8(ascii: "-")) }
  var first = 0
  while first < count && buffer[first] == UInt8(ascii: "0") { first += 1 }
  guard first < count else { b.append(contentsOf: "0.0".utf8); return }
  var last = count
  while last > first + 1 && buffer[last - 1] == UInt8(ascii: "0") { last -= 1 }
  let digits = UnsafeRawBufferPointer(UnsafeMutableBufferPointer(rebasing: buffer[first..<last]))
  let e10 = integerDigits - 1 - first + exponent
  if positional {
    if e10 >= 0 {
      let whole = min(e10 + 1, digits.count)
      b.append(digits.bytes(0..<whole))
      for _ in whole..<(e10 + 1) { b.append(UInt8(ascii: "0")) }
      b.append(UInt8(ascii: "."))
      if whole < digits.count { b.append(digits.bytes(whole..<digits.count)) } else { b.append(UInt8(ascii: "0")) }
    } else {
      b.append(contentsOf: "0.".utf8)
      for _ in 0..<(-e10 - 1) { b.append(UInt8(ascii: "0")) }
      b.append(digits)
    }
    return
  }
  b.append(digits[0])
  if digits.count > 1 {
    b.append(UInt8(ascii: "."))
    b.append(digits.bytes(1..<digits.count))
  }
  b.append(UInt8(ascii: "e"))
  b.append(UInt8(ascii: e10 < 0 ? "-" : "+"))
  let magnitude = e10.magnitude
  if magnitude < 10 { b.append(UInt8(ascii: "0")) }
  b.append(contentsOf: String(magnitude).utf8)
}

/// `float64(s)`, `int64(s)`, … of strings, as pandas' `to_numeric(errors='coerce')`:
/// text that is not a number of the target kind gives a missing value, not an error.
/// Floats read decimal text with optional sign, point and exponent, and
/// inf/infinity/nan in any case (nan gives NaN, not missing), surrounded by
/// whitespace; integers read an optional sign and decimal digits only ('1.5', '1e3'
/// and values out of the target's range are missing).
struct ParseNumber: VectorFunction {
  let target: DType

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let valid = out.mask
    let values = out.values
    for i in 0..<out.count {
      var ok = false
      if a.isPresent(i) {
        let s = trimmed(a.string(i))
        if target.isFloat {
          if let d = parseDouble(s) {
            ok = true
            if target == .float32 {
              values.storeBytes(of: Float(d), toByteOffset: i * 4, as: Float.self)
            } else {
              values.storeBytes(of: d, toByteOffset: i * 8, as: Double.self)
            }
          }
        } else if let (negative, magnitude) = parseInteger(s) {
          ok = store(negative, magnitude, values, i)
        }
      }
      valid[i] = ok ? 1 : 0
      if !ok { (values + i * target.byteWidth).initializeMemory(as: UInt8.self, repeating: 0, count: target.byteWidth) }
    }
    return out.vec(target, valid: UnsafePointer(valid))
  }

  /// Stores the integer if it fits the target type.
  @inline(__always)
  private func store(_ negative: Bool, _ magnitude: UInt64, _ p: UnsafeMutableRawPointer, _ i: Int) -> Bool {
    let low: Int64, high: UInt64
    switch target {
    case .int8: (low, high) = (Int64(Int8.min), UInt64(Int8.max))
    case .int16: (low, high) = (Int64(Int16.min), UInt64(Int16.max))
    case .int32: (low, high) = (Int64(Int32.min), UInt64(Int32.max))
    case .int64: (low, high) = (Int64.min, UInt64(Int64.max))
    case .uint8: (low, high) = (0, UInt64(UInt8.max))
    case .uint16: (low, high) = (0, UInt64(UInt16.max))
    case .uint32: (low, high) = (0, UInt64(UInt32.max))
    default: (low, high) = (0, UInt64.max)
    }
    if negative {
      guard magnitude <= low.magnitude else { return false }
    } else {
      guard magnitude <= high else { return false }
    }
    // Two's complement of the value, truncated to the target's width.
    let bits = negative ? (~magnitude &+ 1) : magnitude
    switch target.byteWidth {
    case 1: p.storeBytes(of: UInt8(truncatingIfNeeded: bits), toByteOffset: i, as: UInt8.self)
    case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: bits), toByteOffset: i * 2, as: UInt16.self)
    case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: bits), toByteOffset: i * 4, as: UInt32.self)
    default: p.storeBytes(of: bits, toByteOffset: i * 8, as: UInt64.self)
    }
    return true
  }
}

@inline(__always)
private func isAsciiSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

private func trimmed(_ s: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
  var a = 0, z = s.count
  while a < z && isAsciiSpace(s[a]) { a += 1 }
  while z > a && isAsciiSpace(s[z - 1]) { z -= 1 }
  return s.bytes(a..<z)
}

private func parseInteger(_ s: UnsafeRawBufferPointer) -> (Bool, UInt64)? {
  var i = 0
  var negative = false
  if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) {
    negative = s[i] == UInt8(ascii: "-")
    i += 1
  }
  guard i < s.count else { return nil }
  var v: UInt64 = 0
  while i < s.count {
    let d = s[i] &- 48
    guard d < 10 else { return nil }
    let (m, o1) = v.multipliedReportingOverflow(by: 10)
    let (t, o2) = m.addingReportingOverflow(UInt64(d))
    guard !o1 && !o2 else { return nil }
    v = t
    i += 1
  }
  return (negative, v)
}

/// Whether `s` (lowercased ASCII) equals `word`.
private func equalsIgnoringCase(_ s: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
  guard s.count == word.utf8CodeUnitCount else { return false }
  let w = word.utf8Start
  for i in 0..<s.count where s[i] | 0x20 != w[i] { return false }
  return true
}

private func parseDouble(_ s: UnsafeRawBufferPointer) -> Double? {
  var i = 0
  var negative = false
  if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) {
    negative = s[i] == UInt8(ascii: "-")
    i += 1
  }
  let body = s.bytes(i..<s.count)
  if equalsIgnoringCase(body, "inf") || equalsIgnoringCase(body, "infinity") {
    return negative ? -.infinity : .infinity
  }
  if equalsIgnoringCase(body, "nan") { return .nan }
  // digits [. digits] | . digits, then [eE] [sign] digits.
  var digits = 0
  func isDigit(_ k: Int) -> Bool { k < s.count && s[k] >= 48 && s[k] <= 57 }
  while isDigit(i) { i += 1; digits += 1 }
  if i < s.count && s[i] == UInt8(ascii: ".") {
    i += 1
    while isDigit(i) { i += 1; digits += 1 }
  }
  guard digits > 0 else { return nil }
  if i < s.count && (s[i] | 0x20) == UInt8(ascii: "e") {
    i += 1
    if i < s.count && (s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+")) { i += 1 }
    guard isDigit(i) else { return nil }
    while isDigit(i) { i += 1 }
  }
  guard i == s.count else { return nil }
  // The syntax is checked; strtod rounds correctly (on a NUL-terminated copy).
  return withUnsafeTemporaryAllocation(of: CChar.self, capacity: s.count + 1) { buffer -> Double? in
    guard let p = buffer.baseAddress else { return nil }
    for k in 0..<s.count { p[k] = CChar(bitPattern: s[k]) }
    p[s.count] = 0
    return strtod(p, nil)
  }
}
