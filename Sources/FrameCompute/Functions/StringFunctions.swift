#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// String functions (`str_*`, vaex's names): `df.s.str.len()` is `str_len(s)`.
/// Each computes a chunk at a time on the UTF-8 bytes of Arrow strings; lengths,
/// positions and widths count code points, as Python's str does. A result is
/// missing where its string operand is.
extension TypeChecker {
  mutating func bindStringFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    if name.hasPrefix("str_") {
      return try bindStrMethod(name, args)
    }
    if name == "astype" { return try bindAstypeString(args) }
    if let t = DType(name: name), t.isNumeric, t != .bool, args.count == 1,
       case .node(let n) = try typed(args[0]), n.dtype.isString {
      return TypedNode(.apply(ParseNumber(target: t)), t, [n])
    }
    return nil
  }

  /// `astype(x, 'str')`: numbers, bools, dates, timestamps and durations as numpy's
  /// astype(str) prints them.
  private mutating func bindAstypeString(_ args: [Node]) throws(SFError) -> TypedNode? {
    guard args.count == 2, case .weak(.string(let target)) = try typed(args[1]),
          ["str", "string", "large_string", "unicode", "object"].contains(target) else { return nil }
    let x = try operand(args[0])
    if x.dtype.isString { return x }
    if x.dtype.isTemporal { return TypedNode(.apply(FormatTemporal(dtype: x.dtype)), .largeString, [x]) }
    guard x.dtype.isNumeric else {
      throw SFError(.type, "astype(): cannot format \(x.dtype) values as strings")
    }
    return TypedNode(.apply(FormatNumber(dtype: x.dtype)), .largeString, [x])
  }

  private mutating func bindStrMethod(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    /// Literal parameter `i` if given, else `fallback`.
    func optional<T>(_ i: Int, _ fallback: T, _ read: (Int) throws(SFError) -> T) throws(SFError) -> T {
      args.count > i ? try read(i) : fallback
    }
    func nonEmpty(_ text: String, _ what: String) throws(SFError) -> [UInt8] {
      guard !text.isEmpty else { throw SFError(.argument, "\(name)(): \(what) must not be empty") }
      return Array(text.utf8)
    }
    func width(_ i: Int) throws(SFError) -> Int {
      let w = try intParameter(name, args, i)
      guard w <= 1 << 24 else { throw SFError(.argument, "\(name)(): width \(w) is too large") }
      return Int(max(w, 0))
    }
    func fillChar(_ i: Int) throws(SFError) -> UInt32 {
      let f = scalars(of: try stringParameter(name, args, i))
      guard f.count == 1 else { throw SFError(.type, "\(name)(): the fill character must be exactly one character long") }
      return f[0]
    }
    func regex(_ pattern: String, flags: Int, anchored: Bool = false) throws(SFError) -> Regex {
      try Regex(pattern, flags: flags, anchored: anchored, function: name)
    }
    /// The pattern of contains / count / replace compiled when it is a regex or has
    /// flags (plain text is escaped then); nil for plain text matched as bytes.
    func compiled(_ pattern: String, isRegex: Bool, flags: Int) throws(SFError) -> Regex? {
      guard isRegex || flags != 0 else { return nil }
      return try regex(isRegex ? pattern : escapeRegex(pattern), flags: flags)
    }
    func unary(_ fn: any VectorFunction, _ dtype: DType) throws(SFError) -> TypedNode {
      TypedNode(.apply(fn), dtype, [try stringOperand(name, args[0])])
    }

    switch name {
    case "str_byte_length":
      try arity(name, args, 1...1)
      return try unary(ByteLength(), .int64)
    case "str_len":
      try arity(name, args, 1...1)
      return try unary(CodePointLength(), .int64)
    case "str_lower", "str_upper", "str_title", "str_capitalize":
      try arity(name, args, 1...1)
      let kind: CaseChange.Kind = switch name {
      case "str_lower": .lower
      case "str_upper": .upper
      case "str_title": .title
      default: .capitalize
      }
      return try unary(CaseChange(kind: kind), .largeString)
    case "str_strip", "str_lstrip", "str_rstrip":
      try arity(name, args, 1...2)
      let chars: [UInt32]? = try optional(1, nil) { i throws(SFError) in scalars(of: try stringParameter(name, args, i)) }
      return try unary(Strip(left: name != "str_rstrip", right: name != "str_lstrip", chars: chars), .largeString)
    case "str_startswith", "str_endswith":
      try arity(name, args, 2...2)
      let needle = Array(try stringParameter(name, args, 1).utf8)
      return try unary(Affix(needle: needle, atStart: name == "str_startswith"), .bool)
    case "str_contains":
      try arity(name, args, 2...4)
      let pattern = try stringParameter(name, args, 1)
      let isRegex = try optional(2, true) { i throws(SFError) in try boolParameter(name, args, i) }
      let flags = Int(try optional(3, 0) { i throws(SFError) in try intParameter(name, args, i) })
      if let r = try compiled(pattern, isRegex: isRegex, flags: flags) { return try unary(RegexTest(regex: r), .bool) }
      return try unary(Contains(needle: Array(pattern.utf8)), .bool)
    case "str_match":
      try arity(name, args, 2...3)
      let pattern = try stringParameter(name, args, 1)
      let flags = Int(try optional(2, 0) { i throws(SFError) in try intParameter(name, args, i) })
      return try unary(RegexTest(regex: regex(pattern, flags: flags, anchored: true)), .bool)
    case "str_find":
      try arity(name, args, 2...4)
      let needle = Array(try stringParameter(name, args, 1).utf8)
      let start: Int = Int(try optional(2, 0) { i throws(SFError) in try intParameter(name, args, i) })
      let end: Int? = try optional(3, nil) { i throws(SFError) in Int(try intParameter(name, args, i)) }
      return try unary(Find(needle: needle, start: start, end: end), .int64)
    case "str_count":
      try arity(name, args, 2...4)
      let pattern = try stringParameter(name, args, 1)
      let isRegex = try optional(2, false) { i throws(SFError) in try boolParameter(name, args, i) }
      let flags = Int(try optional(3, 0) { i throws(SFError) in try intParameter(name, args, i) })
      if let r = try compiled(pattern, isRegex: isRegex, flags: flags) { return try unary(RegexCount(regex: r), .int64) }
      return try unary(CountPlain(needle: Array(pattern.utf8)), .int64)
    case "str_replace":
      // vaex's order: str_replace(x, pat, repl, n=-1, flags=0, regex=False).
      try arity(name, args, 3...6)
      let pattern = try stringParameter(name, args, 1)
      let repl = try stringParameter(name, args, 2)
      let n = Int(try optional(3, -1) { i throws(SFError) in try intParameter(name, args, i) })
      let flags = Int(try optional(4, 0) { i throws(SFError) in try intParameter(name, args, i) })
      let isRegex = try optional(5, false) { i throws(SFError) in try boolParameter(name, args, i) }
      if let r = try compiled(pattern, isRegex: isRegex, flags: flags) {
        let template = isRegex ? try Template(repl, r, function: name) : Template(literal: repl)
        return try unary(ReplaceRegex(regex: r, template: template, limit: n), .largeString)
      }
      return try unary(ReplacePlain(old: Array(pattern.utf8), new: Array(repl.utf8), limit: n), .largeString)
    case "str_slice":
      try arity(name, args, 1...3)
      let start: Int? = try optional(1, nil) { i throws(SFError) in Int(try intParameter(name, args, i)) }
      let stop: Int? = try optional(2, nil) { i throws(SFError) in Int(try intParameter(name, args, i)) }
      return try unary(Slice(start: start, stop: stop), .largeString)
    case "str_get":
      try arity(name, args, 2...2)
      return try unary(GetChar(index: Int(try intParameter(name, args, 1))), .largeString)
    case "str_pad":
      try arity(name, args, 2...4)
      let w = try width(1)
      let side = try optional(2, "left") { i throws(SFError) in try stringParameter(name, args, i) }
      let fill = try optional(3, 0x20) { i throws(SFError) in try fillChar(i) }
      let kind: Pad.Side
      switch side {
      case "left": kind = .left
      case "right": kind = .right
      case "both": kind = .both
      default: throw SFError(.argument, "\(name)(): side must be 'left', 'right' or 'both', not '\(side)'")
      }
      return try unary(Pad(width: w, side: kind, fill: fill), .largeString)
    case "str_ljust", "str_rjust", "str_center":
      try arity(name, args, 2...3)
      let w = try width(1)
      let fill = try optional(2, 0x20) { i throws(SFError) in try fillChar(i) }
      let side: Pad.Side = name == "str_ljust" ? .right : name == "str_rjust" ? .left : .both
      return try unary(Pad(width: w, side: side, fill: fill), .largeString)
    case "str_zfill":
      try arity(name, args, 2...2)
      return try unary(ZFill(width: try width(1)), .largeString)
    case "str_repeat":
      try arity(name, args, 2...2)
      return try unary(Repeat(times: Int(try intParameter(name, args, 1))), .largeString)
    case "str_cat":
      try arity(name, args, 2...3)
      let a = try stringOperand(name, args[0])
      let sep = Array(try optional(2, "") { i throws(SFError) in try stringParameter(name, args, i) }.utf8)
      switch try typed(args[1]) {
      case .weak(.string(let s)):
        return TypedNode(.apply(Concat(separator: sep, constant: Array(s.utf8), constantFirst: false)), .largeString, [a])
      case .node(let b) where b.dtype.isString:
        return TypedNode(.apply(Concat(separator: sep, constant: nil, constantFirst: false)), .largeString, [a, b])
      default:
        throw SFError(.type, "\(name)(): the other operand must be a string column or a string")
      }
    case "str_split_get":
      // str_split_get(s, sep, i), or str_split_get(s, i) to split on runs of whitespace.
      try arity(name, args, 2...3)
      let sep: [UInt8]? = args.count == 3 ? try nonEmpty(try stringParameter(name, args, 1), "the separator") : nil
      let index = Int(try intParameter(name, args, args.count - 1))
      return try unary(SplitGet(separator: sep, index: index), .largeString)
    default:
      if let cls = CharClass(rawValue: String(name.dropFirst(4))) {
        try arity(name, args, 1...1)
        return try unary(CharTest(cls: cls), .bool)
      }
      throw SFError(.name, "unknown string function '\(name)'")
    }
  }
}

/// A plain text as a regex that matches it (for case-insensitive plain searches):
/// every ASCII character other than a letter or digit is escaped, which PCRE2 reads
/// as that character whatever it would mean.
func escapeRegex(_ text: String) -> String {
  var out = ""
  for c in text.unicodeScalars {
    if c.isASCII && !(("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)) {
      out.unicodeScalars.append("\\")
    }
    out.unicodeScalars.append(c)
  }
  return out
}

/// Most bytes the string results of one chunk may hold (a wider pad or more repeats
/// is an error, not an allocation that cannot succeed).
let chunkStringLimit = 1 << 30

@inline(__always)
func ensureRoom(_ b: StringBuilder, _ extra: Int, _ function: String) throws(SFError) {
  let (total, overflow) = b.byteCount.addingReportingOverflow(extra)
  guard !overflow, total <= chunkStringLimit else {
    throw SFError(.argument, "\(function)(): the results of one chunk would exceed \(chunkStringLimit >> 20) MiB")
  }
}

// MARK: - Chunk loops

/// One string result per row of `a` (empty and missing where `a` is missing).
@inline(__always)
func mapStrings(_ a: Vec, _ out: Scratch,
                _ body: (UnsafeRawBufferPointer, StringBuilder) throws(SFError) -> Void) throws(SFError) -> Vec {
  let b = out.newStrings()
  for i in 0..<out.count {
    if a.isPresent(i) { try body(a.string(i), b) }
    b.endRow()
    if b.byteCount > chunkStringLimit { try ensureRoom(b, 0, "a string function") }
  }
  return b.vec(valid: a.valid)
}

/// One int64 result per row of `a` (0 where `a` is missing).
@inline(__always)
func mapInts(_ a: Vec, _ out: Scratch, _ body: (UnsafeRawBufferPointer) throws(SFError) -> Int) throws(SFError) -> Vec {
  let p = out.values.assumingMemoryBound(to: Int64.self)
  for i in 0..<out.count { p[i] = a.isPresent(i) ? Int64(try body(a.string(i))) : 0 }
  return out.vec(.int64, valid: a.valid)
}

/// One bool result per row of `a` (false where `a` is missing).
@inline(__always)
func mapBools(_ a: Vec, _ out: Scratch, _ body: (UnsafeRawBufferPointer) throws(SFError) -> Bool) throws(SFError) -> Vec {
  let p = out.values.assumingMemoryBound(to: UInt8.self)
  for i in 0..<out.count { p[i] = a.isPresent(i) ? (try body(a.string(i)) ? 1 : 0) : 0 }
  return out.vec(.bool, valid: a.valid)
}

/// Where `needle` first occurs in `s` at or after byte `from` (bytes; UTF-8 matches
/// only at character boundaries), or nil.
@inline(__always)
func firstIndex(of needle: [UInt8], in s: UnsafeRawBufferPointer, from: Int = 0, to end: Int? = nil) -> Int? {
  let stop = min(end ?? s.count, s.count)
  guard from <= stop else { return nil }
  if needle.isEmpty { return from }
  guard stop - from >= needle.count, let base = s.baseAddress else { return nil }
  // memchr for the first byte, then compare the rest.
  let first = Int32(needle[0])
  var i = from
  let last = stop - needle.count
  while i <= last {
    guard let hit = memchr(base + i, first, last - i + 1) else { return nil }
    let at = UnsafeRawPointer(hit) - base
    var k = 1
    while k < needle.count && s[at + k] == needle[k] { k += 1 }
    if k == needle.count { return at }
    i = at + 1
  }
  return nil
}

extension StringBuilder {
  @inline(__always)
  func append(bytes: [UInt8]) {
    bytes.withUnsafeBytes { append($0) }
  }
}

extension UnsafeRawBufferPointer {
  /// Bytes `r` of this buffer.
  @inline(__always)
  func bytes(_ r: Range<Int>) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: self[r]) }
}

// MARK: - Lengths and case

/// The length of each string in UTF-8 bytes.
struct ByteLength: VectorFunction {
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let p = out.values.assumingMemoryBound(to: Int64.self)
    for i in 0..<out.count { p[i] = Int64(a.string(i).count) }
    return out.vec(.int64, valid: a.valid)
  }
}

/// The length of each string in code points (Python's len).
struct CodePointLength: VectorFunction {
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapInts(args[0], out) { s in scalarCount(s) }
  }
}

/// lower, upper, title and capitalize with Python's full case mappings.
struct CaseChange: VectorFunction {
  enum Kind { case lower, upper, title, capitalize }
  let kind: Kind

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let t = unicodeTables
    return try mapStrings(args[0], out) { s, b in
      var i = 0
      var previousCased = false
      while i < s.count {
        let (c, len) = decodeScalar(s, i)
        switch kind {
        case .lower: b.appendLower(c, at: i, length: len, in: s, t)
        case .upper: b.appendMapped(c, .upper, t)
        case .title:
          if previousCased { b.appendLower(c, at: i, length: len, in: s, t) } else { b.appendMapped(c, .title, t) }
          previousCased = isCased(c, t)
        case .capitalize:
          if i == 0 { b.appendMapped(c, .title, t) } else { b.appendLower(c, at: i, length: len, in: s, t) }
        }
        i += len
      }
    }
  }
}

// MARK: - Strip, pad, repeat

/// strip / lstrip / rstrip: Python's whitespace, or any of the given characters.
struct Strip: VectorFunction {
  let left: Bool, right: Bool
  let chars: [UInt32]?

  @inline(__always)
  private func strips(_ c: UInt32) -> Bool {
    guard let chars else { return isPythonSpace(c) }
    return chars.contains(c)
  }

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapStrings(args[0], out) { s, b in
      var start = 0, end = s.count
      if left {
        while start < end {
          let (c, len) = decodeScalar(s, start)
          guard strips(c) else { break }
          start += len
        }
      }
      if right {
        while end > start {
          let j = previousScalarStart(s, end)
          guard strips(decodeScalar(s, j).0) else { break }
          end = j
        }
      }
      b.append(s.bytes(start..<end))
    }
  }
}

/// ljust (`.right`: fill after), rjust (`.left`) and center (`.both`), to `width`
/// code points, as Python's str methods (center puts the odd fill as Python does).
struct Pad: VectorFunction {
  enum Side { case left, right, both }
  let width: Int
  let side: Side
  let fill: UInt32

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapStrings(args[0], out) { s, b throws(SFError) in
      let n = scalarCount(s)
      let margin = width - n
      guard margin > 0 else { b.append(s); return }
      try ensureRoom(b, margin &* 4 &+ s.count, "str_pad")
      let before: Int
      switch side {
      case .left: before = margin
      case .right: before = 0
      case .both: before = margin / 2 + (margin & width & 1)
      }
      for _ in 0..<before { b.appendScalar(fill) }
      b.append(s)
      for _ in 0..<(margin - before) { b.appendScalar(fill) }
    }
  }
}

/// Python's zfill: zeros on the left to `width`, after a leading sign.
struct ZFill: VectorFunction {
  let width: Int

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapStrings(args[0], out) { s, b throws(SFError) in
      let margin = width - scalarCount(s)
      guard margin > 0 else { b.append(s); return }
      try ensureRoom(b, margin &+ s.count, "str_zfill")
      var body = s
      if let first = s.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
        b.append(first)
        body = s.bytes(1..<s.count)
      }
      for _ in 0..<margin { b.append(UInt8(ascii: "0")) }
      b.append(body)
    }
  }
}

/// Each string repeated `times` times (empty for times ≤ 0).
struct Repeat: VectorFunction {
  let times: Int

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapStrings(args[0], out) { s, b throws(SFError) in
      guard times > 0, !s.isEmpty else { return }
      let (total, overflow) = s.count.multipliedReportingOverflow(by: times)
      guard !overflow else {
        throw SFError(.argument, "str_repeat(): a string of \(s.count) bytes repeated \(times) times is too large")
      }
      try ensureRoom(b, total, "str_repeat")
      for _ in 0..<times { b.append(s) }
    }
  }
}

// MARK: - Searching

/// Whether the string contains `needle` (plain text).
struct Contains: VectorFunction {
  let needle: [UInt8]
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapBools(args[0], out) { s in firstIndex(of: needle, in: s) != nil }
  }
}

/// startswith / endswith (plain text).
struct Affix: VectorFunction {
  let needle: [UInt8]
  let atStart: Bool
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapBools(args[0], out) { s in
      guard s.count >= needle.count else { return false }
      let offset = atStart ? 0 : s.count - needle.count
      for k in 0..<needle.count where s[offset + k] != needle[k] { return false }
      return true
    }
  }
}

/// Whether a regex matches (anywhere: contains; at the start: match, the regex then
/// being compiled anchored).
struct RegexTest: VectorFunction {
  let regex: Regex
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let m = try regex.matchData(out)
    return try mapBools(args[0], out) { s throws(SFError) in try regex.search(s, from: 0, m) != nil }
  }
}

/// Python's str.find(sub, start, end): the lowest code point index of `needle` in
/// s[start:end], or -1.
struct Find: VectorFunction {
  let needle: [UInt8]
  let start: Int
  let end: Int?

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let needleLength = scalars(of: String(decoding: needle, as: UTF8.self)).count
    return try mapInts(args[0], out) { s in
      // Python's ADJUST_INDICES: end clamped to the length, negatives from the end.
      let n = scalarCount(s)
      var a = start, z = end ?? n
      z = z > n ? n : (z < 0 ? (z < -n ? 0 : z + n) : z)
      if a < 0 { a = a < -n ? 0 : a + n }
      guard z - a >= needleLength else { return -1 }
      let from = byteOffset(s, scalar: a)
      let to = byteOffset(s, scalar: z, from: from, base: a)
      guard let hit = firstIndex(of: needle, in: s, from: from, to: to) else { return -1 }
      return a + scalarCount(s.bytes(from..<hit))
    }
  }
}

/// Python's str.count(sub): non-overlapping occurrences (len + 1 for an empty sub).
struct CountPlain: VectorFunction {
  let needle: [UInt8]
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapInts(args[0], out) { s in
      if needle.isEmpty { return scalarCount(s) + 1 }
      var n = 0, i = 0
      while let hit = firstIndex(of: needle, in: s, from: i) {
        n += 1
        i = hit + needle.count
      }
      return n
    }
  }
}

/// The number of non-overlapping regex matches (pandas' str.count, re.findall's).
struct RegexCount: VectorFunction {
  let regex: Regex
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let m = try regex.matchData(out)
    return try mapInts(args[0], out) { s throws(SFError) in
      var n = 0
      try regex.forEachMatch(s, limit: -1, m) { _ in n += 1 }
      return n
    }
  }
}

// MARK: - Replacing

/// Python's str.replace(old, new, count) (count < 0: all).
struct ReplacePlain: VectorFunction {
  let old: [UInt8], new: [UInt8]
  let limit: Int

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapStrings(args[0], out) { s, b in
        var i = 0, done = 0
        if old.isEmpty {
          // An empty pattern matches before every character and at the end.
          while limit < 0 || done < limit {
            b.append(bytes: new)
            done += 1
            guard i < s.count else { break }
            let len = decodeScalar(s, i).1
            b.append(s.bytes(i..<(i + len)))
            i += len
          }
          b.append(s.bytes(i..<s.count))
          return
        }
        while limit < 0 || done < limit, let hit = firstIndex(of: old, in: s, from: i) {
          b.append(s.bytes(i..<hit))
          b.append(bytes: new)
          i = hit + old.count
          done += 1
        }
        b.append(s.bytes(i..<s.count))
    }
  }
}

/// re.sub(pattern, repl, s, count) with Python's template syntax (count < 0: all).
struct ReplaceRegex: VectorFunction {
  let regex: Regex
  let template: Template
  let limit: Int

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let m = try regex.matchData(out)
    return try mapStrings(args[0], out) { s, b throws(SFError) in
      var copied = 0
      try regex.forEachMatch(s, limit: limit < 0 ? -1 : limit, m) { r in
        b.append(s.bytes(copied..<r.lowerBound))
        template.append(to: b, s, m)
        copied = r.upperBound
      }
      b.append(s.bytes(copied..<s.count))
    }
  }
}

extension Template {
  /// A template that is the text itself (plain replacement through a regex).
  init(literal text: String) {
    self.init(parts: text.isEmpty ? [] : [.text(Array(text.utf8))])
  }

  private init(parts: [Part]) { self.parts = parts }
}

// MARK: - Slicing and splitting

/// Python's s[start:stop] in code points (negative indices count from the end).
struct Slice: VectorFunction {
  let start: Int?, stop: Int?

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapStrings(args[0], out) { s, b in
      var a = start ?? 0, z = stop ?? Int.max
      if a < 0 || z < 0 {
        let n = scalarCount(s)
        if a < 0 { a = a < -n ? 0 : a + n }
        if z < 0 { z = z < -n ? 0 : z + n }
      }
      guard z > a else { return }
      let from = byteOffset(s, scalar: a)
      let to = z == Int.max ? s.count : byteOffset(s, scalar: z, from: from, base: a)
      b.append(s.bytes(from..<to))
    }
  }
}

/// The character at code point `index` (negative from the end); missing when out of
/// range, as pandas' str.get.
struct GetChar: VectorFunction {
  let index: Int

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let b = out.newStrings()
    let valid = out.mask
    for i in 0..<out.count {
      valid[i] = 0
      if a.isPresent(i) {
        let s = a.string(i)
        var k = index
        if k < 0 {
          let n = scalarCount(s)
          k = k < -n ? -1 : k + n
        }
        if k >= 0 {
          let from = byteOffset(s, scalar: k)
          if from < s.count {
            b.append(s.bytes(from..<(from + decodeScalar(s, from).1)))
            valid[i] = 1
          }
        }
      }
      b.endRow()
    }
    return b.vec(valid: UnsafePointer(valid))
  }
}

/// Piece `index` of Python's s.split(sep) (sep nil: runs of whitespace); missing when
/// there is no such piece, as pandas' str.split(sep).str.get(i).
struct SplitGet: VectorFunction {
  let separator: [UInt8]?
  let index: Int

  /// Calls `body` with each piece's bytes until it returns false.
  @inline(__always)
  private func pieces(_ s: UnsafeRawBufferPointer, _ body: (Range<Int>) -> Bool) {
    if let separator {
      var i = 0
      while let hit = firstIndex(of: separator, in: s, from: i) {
        guard body(i..<hit) else { return }
        i = hit + separator.count
      }
      _ = body(i..<s.count)
      return
    }
    var i = 0
    while true {
      while i < s.count {
        let (c, len) = decodeScalar(s, i)
        guard isPythonSpace(c) else { break }
        i += len
      }
      guard i < s.count else { return }
      var j = i
      while j < s.count {
        let (c, len) = decodeScalar(s, j)
        if isPythonSpace(c) { break }
        j += len
      }
      guard body(i..<j) else { return }
      i = j
    }
  }

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let b = out.newStrings()
    let valid = out.mask
    for i in 0..<out.count {
      valid[i] = 0
      if a.isPresent(i) {
        let s = a.string(i)
        var k = index
        if k < 0 {
          var n = 0
          pieces(s) { _ in n += 1; return true }
          k = k < -n ? -1 : k + n
        }
        if k >= 0 {
          var seen = 0
          pieces(s) { r in
            if seen == k {
              b.append(s.bytes(r))
              valid[i] = 1
              return false
            }
            seen += 1
            return true
          }
        }
      }
      b.endRow()
    }
    return b.vec(valid: UnsafePointer(valid))
  }
}

// MARK: - Concatenation and classes

/// `a + b`, str_cat(a, b, sep): a column joined with a column or a literal.
struct Concat: VectorFunction {
  let separator: [UInt8]
  /// The other operand when it is a literal (the node then has one child).
  let constant: [UInt8]?
  /// Whether the literal comes first (`'x' + s`).
  let constantFirst: Bool

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    if let constant {
      return try mapStrings(a, out) { s, b in
        if constantFirst { b.append(bytes: constant) } else { b.append(s) }
        b.append(bytes: separator)
        if constantFirst { b.append(s) } else { b.append(bytes: constant) }
      }
    }
    let other = args[1]
    let b = out.newStrings()
    let valid = out.validity([a.valid, other.valid])
    for i in 0..<out.count {
      if valid.map({ $0[i] != 0 }) ?? true {
        b.append(a.string(i))
        b.append(bytes: separator)
        b.append(other.string(i))
      }
      b.endRow()
    }
    return b.vec(valid: valid)
  }
}

/// isdigit, isalpha, isalnum, isspace, islower, isupper (+ isdecimal, isnumeric).
struct CharTest: VectorFunction {
  let cls: CharClass
  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    try mapBools(args[0], out) { s in cls.test(s) }
  }
}
