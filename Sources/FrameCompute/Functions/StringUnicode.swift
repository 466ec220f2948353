import FrameStorage

// UTF-8 and Unicode character data for the string functions, as Python's str uses
// them. Decoding never traps: a malformed byte (the storage validates UTF-8, but a
// computed or foreign string is not trusted) reads as U+FFFD and advances one byte.
//
// Case mappings and character classes come from the Swift standard library's Unicode
// tables (`Unicode.Scalar.Properties`, copied once into flat tables for the BMP),
// which hold the full mappings of SpecialCasing.txt as Python's do (ß.upper() is
// SS, İ.lower() is i̇), plus Python's Final_Sigma rule for Σ and Python's own
// definitions of isalpha (categories L*), isdigit/isdecimal/isnumeric (numeric
// types), isalnum, islower/isupper (cased characters) and isspace (its fixed list).
// The one gap against Python is the Unicode version: the Swift runtime's tables
// (Unicode 16 in Swift 6.3) against the Python's (Unicode 14 in 3.11). Measured over
// every code point against Python 3.11: lower, isalpha, isalnum, isdigit, isdecimal,
// isspace and isupper agree on every character Python knows (newer characters
// differ); upper/title/capitalize differ on 8/10/4 characters Unicode 16 gave case
// pairs (ƛ→Ƛ U+A7DC, ɤ→U+A7CB, U+A7D3, U+A7D5 …), islower on 6 (ʕ, U+10FC, U+A7F2 …)
// and isnumeric on 18 CJK ideographs given numeric values after Unicode 14.

/// The scalar starting at byte `i` of `s` and its length in bytes (`i < s.count`).
@inline(__always)
func decodeScalar(_ s: UnsafeRawBufferPointer, _ i: Int) -> (UInt32, Int) {
  let n = s.count
  let b0 = UInt32(s[i])
  if b0 < 0x80 { return (b0, 1) }
  @inline(__always) func cont(_ k: Int) -> UInt32? {
    guard i + k < n else { return nil }
    let b = UInt32(s[i + k])
    return b & 0xC0 == 0x80 ? b & 0x3F : nil
  }
  if b0 & 0xE0 == 0xC0, let b1 = cont(1) {
    let c = (b0 & 0x1F) << 6 | b1
    if c >= 0x80 { return (c, 2) }
  } else if b0 & 0xF0 == 0xE0, let b1 = cont(1), let b2 = cont(2) {
    let c = (b0 & 0x0F) << 12 | b1 << 6 | b2
    if c >= 0x800 && !(0xD800...0xDFFF).contains(c) { return (c, 3) }
  } else if b0 & 0xF8 == 0xF0, let b1 = cont(1), let b2 = cont(2), let b3 = cont(3) {
    let c = (b0 & 0x07) << 18 | b1 << 12 | b2 << 6 | b3
    if c >= 0x10000 && c <= 0x10FFFF { return (c, 4) }
  }
  return (0xFFFD, 1)
}

/// The start of the scalar ending just before byte `end` of `s` (`end > 0`).
@inline(__always)
func previousScalarStart(_ s: UnsafeRawBufferPointer, _ end: Int) -> Int {
  var j = end - 1
  var steps = 0
  while j > 0 && steps < 3 && s[j] & 0xC0 == 0x80 {
    j -= 1
    steps += 1
  }
  // A run of continuation bytes not led by a matching lead byte decodes byte by byte.
  let (_, len) = decodeScalar(s, j)
  return j + len == end ? j : end - 1
}

/// Number of scalars (Python's len) of valid UTF-8; a malformed byte counts as one.
@inline(__always)
func scalarCount(_ s: UnsafeRawBufferPointer) -> Int {
  var n = 0
  var i = 0
  while i < s.count {
    let b = s[i]
    if b < 0x80 {
      i += 1
    } else {
      i += decodeScalar(s, i).1
    }
    n += 1
  }
  return n
}

/// Byte offset of scalar number `k` of `s` (or `s.count` past its end), scanning from
/// byte `from`, which is scalar number `base`.
@inline(__always)
func byteOffset(_ s: UnsafeRawBufferPointer, scalar k: Int, from: Int = 0, base: Int = 0) -> Int {
  var i = from
  var n = base
  while n < k && i < s.count {
    i += s[i] < 0x80 ? 1 : decodeScalar(s, i).1
    n += 1
  }
  return i
}

extension StringBuilder {
  /// Appends scalar `c` encoded as UTF-8.
  @inline(__always)
  func appendScalar(_ c: UInt32) {
    if c < 0x80 {
      append(UInt8(c))
    } else if c < 0x800 {
      append(UInt8(0xC0 | c >> 6))
      append(UInt8(0x80 | c & 0x3F))
    } else if c < 0x10000 {
      append(UInt8(0xE0 | c >> 12))
      append(UInt8(0x80 | (c >> 6) & 0x3F))
      append(UInt8(0x80 | c & 0x3F))
    } else {
      append(UInt8(0xF0 | (c >> 18) & 0x07))
      append(UInt8(0x80 | (c >> 12) & 0x3F))
      append(UInt8(0x80 | (c >> 6) & 0x3F))
      append(UInt8(0x80 | c & 0x3F))
    }
  }
}

/// The scalars of a literal parameter.
func scalars(of text: String) -> [UInt32] { text.unicodeScalars.map { $0.value } }

@inline(__always)
func properties(_ c: UInt32) -> Unicode.Scalar.Properties? { Unicode.Scalar(c)?.properties }

enum CaseMapping: Int { case lower = 0, upper = 1, title = 2 }

/// The Basic Multilingual Plane's case mappings and character flags, read once from
/// the standard library's tables into flat arrays on first use (about 0.8 MB, a few
/// milliseconds), so kernels look a character up with one load. Characters above
/// U+FFFF ask the standard library directly.
final class UnicodeTables: @unchecked Sendable {
  static let size = 0x10000
  /// Per mapping: the single scalar a character maps to, or `multiFlag | offset << 2 |
  /// count` for a mapping of several scalars kept in `multi`.
  let mappings: [UnsafeMutablePointer<UInt32>]
  let lower: UnsafeMutablePointer<UInt32>, upper: UnsafeMutablePointer<UInt32>, title: UnsafeMutablePointer<UInt32>
  let multi: UnsafeMutablePointer<UInt32>
  let flags: UnsafeMutablePointer<UInt16>
  static let multiFlag: UInt32 = 0x8000_0000

  struct Flag {
    static let cased: UInt16 = 1, caseIgnorable: UInt16 = 2, lowercase: UInt16 = 4, uppercase: UInt16 = 8
    static let titlecase: UInt16 = 16, letter: UInt16 = 32, digit: UInt16 = 64, decimal: UInt16 = 128
    static let numeric: UInt16 = 256
  }

  init() {
    mappings = (0..<3).map { _ in UnsafeMutablePointer<UInt32>.allocate(capacity: UnicodeTables.size) }
    flags = .allocate(capacity: UnicodeTables.size)
    var extra: [UInt32] = []
    for c in 0..<UInt32(UnicodeTables.size) {
      for m in mappings { m[Int(c)] = c }
      flags[Int(c)] = 0
      guard let p = properties(c) else { continue }
      let changes = [p.changesWhenLowercased, p.changesWhenUppercased, p.changesWhenTitlecased]
      for (k, changed) in changes.enumerated() where changed {
        let text = k == 0 ? p.lowercaseMapping : k == 1 ? p.uppercaseMapping : p.titlecaseMapping
        let mapped = text.unicodeScalars.map { $0.value }
        if mapped.count == 1 {
          mappings[k][Int(c)] = mapped[0]
        } else if mapped.count <= 3 {
          mappings[k][Int(c)] = UnicodeTables.multiFlag | UInt32(extra.count) << 2 | UInt32(mapped.count)
          extra += mapped
        }
      }
      flags[Int(c)] = UnicodeTables.flags(of: p)
    }
    (lower, upper, title) = (mappings[0], mappings[1], mappings[2])
    multi = .allocate(capacity: max(extra.count, 1))
    for (i, v) in extra.enumerated() { multi[i] = v }
  }

  /// The flags of any scalar (the standard library's answer above U+FFFF).
  @inline(__always)
  func flags(_ c: UInt32) -> UInt16 {
    if c < UInt32(UnicodeTables.size) { return flags[Int(c)] }
    guard let p = properties(c) else { return 0 }
    return UnicodeTables.flags(of: p)
  }

  /// The flags of a scalar from its Unicode properties.
  static func flags(of p: Unicode.Scalar.Properties) -> UInt16 {
    var f: UInt16 = 0
    if p.isCased { f |= Flag.cased }
    if p.isCaseIgnorable { f |= Flag.caseIgnorable }
    if p.isLowercase { f |= Flag.lowercase }
    if p.isUppercase { f |= Flag.uppercase }
    switch p.generalCategory {
    case .titlecaseLetter: f |= Flag.titlecase | Flag.letter
    case .uppercaseLetter, .lowercaseLetter, .modifierLetter, .otherLetter: f |= Flag.letter
    default: break
    }
    switch p.numericType {
    case .decimal: f |= Flag.decimal | Flag.digit | Flag.numeric
    case .digit: f |= Flag.digit | Flag.numeric
    case .numeric: f |= Flag.numeric
    default: break
    }
    return f
  }
}

/// Built on first use, shared by every thread (never freed).
let unicodeTables = UnicodeTables()

/// No character above this one has a case mapping (Adlam ends at U+1E943), so emoji
/// and the rest of the supplementary planes are copied without a lookup.
let lastCasedSupplementary: UInt32 = 0x1E9FF

extension StringBuilder {
  /// Appends the full case mapping of scalar `c` (several scalars for ß, ŉ, İ …).
  @inline(__always)
  func appendMapped(_ c: UInt32, _ mapping: CaseMapping, _ t: UnicodeTables = unicodeTables) {
    if c < 0x80 {
      let b = UInt8(c)
      switch mapping {
      case .lower: append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
      case .upper, .title: append(b >= 0x61 && b <= 0x7A ? b & 0xDF : b)
      }
      return
    }
    if c < UInt32(UnicodeTables.size) {
      let e = (mapping == .lower ? t.lower : mapping == .upper ? t.upper : t.title)[Int(c)]
      if e & UnicodeTables.multiFlag == 0 { appendScalar(e); return }
      let offset = Int((e & ~UnicodeTables.multiFlag) >> 2), count = Int(e & 3)
      for k in 0..<count { appendScalar(t.multi[offset + k]) }
      return
    }
    // Above the BMP: the standard library, which keeps a short mapping in a small
    // string (no allocation); only scalars that change are looked up.
    guard c <= lastCasedSupplementary, let p = properties(c) else { appendScalar(c); return }
    switch mapping {
    case .lower:
      if p.changesWhenLowercased { append(contentsOf: p.lowercaseMapping.utf8) } else { appendScalar(c) }
    case .upper:
      if p.changesWhenUppercased { append(contentsOf: p.uppercaseMapping.utf8) } else { appendScalar(c) }
    case .title:
      if p.changesWhenTitlecased { append(contentsOf: p.titlecaseMapping.utf8) } else { appendScalar(c) }
    }
  }

  /// Appends the lowercase of the scalar `c` at byte `i` of `s`, with Python's
  /// Final_Sigma rule: Σ becomes ς after a cased letter (case-ignorables skipped)
  /// when no cased letter follows.
  @inline(__always)
  func appendLower(_ c: UInt32, at i: Int, length: Int, in s: UnsafeRawBufferPointer,
                   _ t: UnicodeTables = unicodeTables) {
    if c == 0x3A3 {
      appendScalar(isFinalSigma(s, i, length) ? 0x3C2 : 0x3C3)
    } else {
      appendMapped(c, .lower, t)
    }
  }
}

@inline(__always)
func isCased(_ c: UInt32, _ t: UnicodeTables = unicodeTables) -> Bool {
  if c < 0x80 { return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
  return t.flags(c) & UnicodeTables.Flag.cased != 0
}

@inline(__always)
func isCaseIgnorable(_ c: UInt32) -> Bool {
  if c < 0x80 { return c == 0x27 || c == 0x2E || c == 0x3A || c == 0x5E || c == 0x60 }
  return unicodeTables.flags(c) & UnicodeTables.Flag.caseIgnorable != 0
}

/// Whether the Σ at byte `i` (of `length` bytes) is in the Final_Sigma context.
func isFinalSigma(_ s: UnsafeRawBufferPointer, _ i: Int, _ length: Int) -> Bool {
  var j = i
  var before: UInt32? = nil
  while j > 0 {
    j = previousScalarStart(s, j)
    let c = decodeScalar(s, j).0
    if !isCaseIgnorable(c) { before = c; break }
  }
  guard let b = before, isCased(b) else { return false }
  var k = i + length
  while k < s.count {
    let (c, len) = decodeScalar(s, k)
    if !isCaseIgnorable(c) { return !isCased(c) }
    k += len
  }
  return true
}

/// Python's str.isspace() for one scalar (Py_UNICODE_ISSPACE).
@inline(__always)
func isPythonSpace(_ c: UInt32) -> Bool {
  if c < 0x80 { return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) }
  switch c {
  case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
  default: return false
  }
}

/// The per-character tests of Python's str.isX() methods.
enum CharClass: String, Sendable {
  case isdigit, isalpha, isalnum, isspace, islower, isupper, isdecimal, isnumeric

  /// Python's test of a whole string (false for the empty string).
  func test(_ s: UnsafeRawBufferPointer) -> Bool {
    switch self {
    case .islower, .isupper:
      // At least one cased character, none of the other case or titlecase.
      var cased = false
      var i = 0
      while i < s.count {
        let (c, len) = decodeScalar(s, i)
        i += len
        let (lower, upper, title) = caseFlags(c)
        if self == .islower {
          if upper || title { return false }
          if lower { cased = true }
        } else {
          if lower || title { return false }
          if upper { cased = true }
        }
      }
      return cased
    default:
      guard !s.isEmpty else { return false }
      var i = 0
      while i < s.count {
        let (c, len) = decodeScalar(s, i)
        i += len
        if !holds(c) { return false }
      }
      return true
    }
  }

  @inline(__always)
  private func caseFlags(_ c: UInt32) -> (Bool, Bool, Bool) {
    if c < 0x80 { return (c >= 0x61 && c <= 0x7A, c >= 0x41 && c <= 0x5A, false) }
    let f = unicodeTables.flags(c)
    typealias F = UnicodeTables.Flag
    return (f & F.lowercase != 0, f & F.uppercase != 0, f & F.titlecase != 0)
  }

  @inline(__always)
  private func holds(_ c: UInt32) -> Bool {
    if c < 0x80 {
      let digit = c >= 0x30 && c <= 0x39
      let alpha = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A
      switch self {
      case .isdigit, .isdecimal, .isnumeric: return digit
      case .isalpha: return alpha
      case .isalnum: return alpha || digit
      case .isspace: return isPythonSpace(c)
      case .islower, .isupper: return false
      }
    }
    if self == .isspace { return isPythonSpace(c) }
    let f = unicodeTables.flags(c)
    typealias F = UnicodeTables.Flag
    switch self {
    case .isdigit: return f & F.digit != 0
    case .isdecimal: return f & F.decimal != 0
    case .isnumeric: return f & F.numeric != 0
    case .isalpha: return f & F.letter != 0
    // Python's isalnum: isalpha, isdecimal, isdigit or isnumeric.
    case .isalnum: return f & (F.letter | F.numeric) != 0
    default: return false
    }
  }
}
