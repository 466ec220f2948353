import CPCRE2
import FrameStorage

/// A regular expression compiled once, when its call is type checked, with PCRE2
/// (UTF and Unicode properties: `\d`, `\w` and case folding are Unicode's, as in
/// Python's `re` on str). Python's syntax is PCRE2's for the common subset
/// (`(?P<name>…)`, `(?P=name)`, lookaround, lazy quantifiers); `\Z` and `{,n}` are
/// rewritten to PCRE2's `\z` and `{0,n}`, and `\s` takes Python's U+001C…U+001F.
/// Not supported: `re.LOCALE`; `\S` inside a class uses PCRE2's white space.
/// Matching is safe on malformed UTF-8 (PCRE2_MATCH_INVALID_UTF). The compiled code
/// is read-only and shared by threads; each thread matches with its own `MatchData`,
/// kept in its scratch.
final class Regex: @unchecked Sendable {
  let code: OpaquePointer
  let captureCount: Int
  let pattern: String

  /// Python's `re` flag values that map to PCRE2 options.
  static let ignoreCase = 2, multiline = 8, dotAll = 16, unicode = 32, verbose = 64, ascii = 256

  init(_ pattern: String, flags: Int = 0, anchored: Bool = false, function: String) throws(SFError) {
    var options = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
    let known = Regex.ignoreCase | Regex.multiline | Regex.dotAll | Regex.unicode | Regex.verbose | Regex.ascii
    guard flags & ~known == 0 else {
      throw SFError(.argument, "\(function)(): unsupported regex flags \(flags) (IGNORECASE, MULTILINE, DOTALL, VERBOSE, ASCII are)")
    }
    if flags & Regex.ascii == 0 { options |= UInt32(PCRE2_UCP) }
    if flags & Regex.ignoreCase != 0 { options |= UInt32(PCRE2_CASELESS) }
    if flags & Regex.multiline != 0 { options |= UInt32(PCRE2_MULTILINE) }
    if flags & Regex.dotAll != 0 { options |= UInt32(PCRE2_DOTALL) }
    if flags & Regex.verbose != 0 { options |= UInt32(PCRE2_EXTENDED) }
    if anchored { options |= UInt32(PCRE2_ANCHORED) }
    let translated = Regex.translate(pattern)
    var error: Int32 = 0
    var offset = 0
    let compiled = translated.withUnsafeBufferPointer { p in
      pcre2_compile_8(p.baseAddress, p.count, options, &error, &offset, nil)
    }
    guard let compiled else {
      var buffer = [UInt8](repeating: 0, count: 256)
      let n = pcre2_get_error_message_8(error, &buffer, buffer.count)
      let message = String(decoding: buffer.prefix(max(0, Int(n))), as: UTF8.self)
      throw SFError(.expression, "\(function)(): invalid regular expression '\(pattern)': \(message) at offset \(offset)")
    }
    code = compiled
    self.pattern = pattern
    var count: UInt32 = 0
    _ = pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &count)
    captureCount = Int(count)
    // JIT when the platform has it; the interpreter otherwise (same results).
    _ = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
  }

  deinit { pcre2_code_free_8(code) }

  /// Python's spelling rewritten to PCRE2's where they differ: `\Z` (end of text) is
  /// PCRE2's `\z`, `{,n}` outside a character class is `{0,n}`, and `\s` / `\S` take
  /// Python's extra white space U+001C…U+001F (`\S` inside a class is left as is).
  static func translate(_ pattern: String) -> [UInt8] {
    let bytes = Array(pattern.utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 4)
    var i = 0
    var inClass = false
    while i < bytes.count {
      let b = bytes[i]
      if b == UInt8(ascii: "\\"), i + 1 < bytes.count {
        let next = bytes[i + 1]
        switch next {
        case UInt8(ascii: "Z") where !inClass: out += Array("\\z".utf8)
        // Python's \s also takes U+001C…U+001F (str.isspace); PCRE2's does not.
        case UInt8(ascii: "s"): out += Array((inClass ? "\\s\\x1c-\\x1f" : "[\\s\\x1c-\\x1f]").utf8)
        case UInt8(ascii: "S") where !inClass: out += Array("[^\\s\\x1c-\\x1f]".utf8)
        default: out += [b, next]
        }
        i += 2
        continue
      }
      if inClass {
        if b == UInt8(ascii: "]") { inClass = false }
      } else if b == UInt8(ascii: "[") {
        inClass = true
        out.append(b)
        i += 1
        // A ']' first in a class (after an optional '^') is a literal.
        if i < bytes.count && bytes[i] == UInt8(ascii: "^") { out.append(bytes[i]); i += 1 }
        if i < bytes.count && bytes[i] == UInt8(ascii: "]") { out.append(bytes[i]); i += 1 }
        continue
      } else if b == UInt8(ascii: "{"), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: ",") {
        var j = i + 2
        while j < bytes.count && bytes[j] >= 48 && bytes[j] <= 57 { j += 1 }
        if j > i + 2, j < bytes.count, bytes[j] == UInt8(ascii: "}") {
          out += Array("{0".utf8)
          i += 1
          continue
        }
      }
      out.append(b)
      i += 1
    }
    return out
  }

  /// The number of the named group `name`, or nil.
  func groupNumber(_ name: String) -> Int? {
    let n = name.withCString { p in
      p.withMemoryRebound(to: UInt8.self, capacity: name.utf8.count + 1) { pcre2_substring_number_from_name_8(code, $0) }
    }
    return n > 0 ? Int(n) : nil
  }

  /// This thread's match data for this regex, kept in the node's scratch.
  func matchData(_ out: Scratch) throws(SFError) -> MatchData {
    if let m = out.state as? MatchData { return m }
    guard let md = pcre2_match_data_create_from_pattern_8(code, nil) else {
      throw SFError(.outOfMemory, "cannot allocate regex match data")
    }
    let m = MatchData(md)
    out.state = m
    return m
  }

  /// Searches `s` from byte `start`: the match's bytes (group 0) or nil.
  @inline(__always)
  func search(_ s: UnsafeRawBufferPointer, from start: Int, options: UInt32 = 0, _ m: MatchData) throws(SFError) -> Range<Int>? {
    let rc = withSubject(s) { p in pcre2_match_8(code, p, s.count, start, options, m.pointer, nil) }
    if rc == PCRE2_ERROR_NOMATCH { return nil }
    guard rc >= 0 else { throw matchError(rc) }
    return m.group(0, s.count)
  }

  /// Calls `body` with each non-overlapping match of `s`, left to right, as Python's
  /// re.finditer finds them (an empty match right after a match is allowed; after an
  /// empty match the next one starts further on), at most `limit` times (< 0: all).
  @inline(__always)
  func forEachMatch(_ s: UnsafeRawBufferPointer, limit: Int, _ m: MatchData,
                    _ body: (Range<Int>) throws(SFError) -> Void) throws(SFError) {
    var start = 0
    var found = 0
    var options: UInt32 = 0
    while start <= s.count && (limit < 0 || found < limit) {
      let rc = withSubject(s) { p in pcre2_match_8(code, p, s.count, start, options, m.pointer, nil) }
      if rc == PCRE2_ERROR_NOMATCH {
        guard options != 0 else { return }
        // No non-empty match at an empty match's position: go on one scalar later.
        guard start < s.count else { return }
        start += decodeScalar(s, start).1
        options = 0
        continue
      }
      guard rc >= 0 else { throw matchError(rc) }
      guard let r = m.group(0, s.count) else { return }
      found += 1
      try body(r)
      start = r.upperBound
      options = r.isEmpty ? UInt32(PCRE2_NOTEMPTY_ATSTART) | UInt32(PCRE2_ANCHORED) : 0
    }
  }

  private func matchError(_ rc: Int32) -> SFError {
    var buffer = [UInt8](repeating: 0, count: 256)
    let n = pcre2_get_error_message_8(rc, &buffer, buffer.count)
    let message = String(decoding: buffer.prefix(max(0, Int(n))), as: UTF8.self)
    return SFError(.argument, "regular expression '\(pattern)' failed while matching: \(message)")
  }
}

private let emptySubject: UnsafeMutablePointer<UInt8> = .allocate(capacity: 1)

@inline(__always)
private func withSubject<R>(_ s: UnsafeRawBufferPointer, _ body: (UnsafePointer<UInt8>) -> R) -> R {
  guard let base = s.baseAddress else { return body(emptySubject) }
  return body(base.assumingMemoryBound(to: UInt8.self))
}

/// One thread's PCRE2 match data (the offsets of a match), reused for every row.
final class MatchData {
  let pointer: OpaquePointer
  let pairs: Int

  init(_ p: OpaquePointer) {
    pointer = p
    pairs = Int(pcre2_get_ovector_count_8(p))
  }

  deinit { pcre2_match_data_free_8(pointer) }

  /// The bytes of group `k` of the last match, or nil when the group did not take part.
  @inline(__always)
  func group(_ k: Int, _ length: Int) -> Range<Int>? {
    guard k >= 0, k < pairs, let o = pcre2_get_ovector_pointer_8(pointer) else { return nil }
    let a = o[2 * k], b = o[2 * k + 1]
    // An unset group is PCRE2_UNSET (~0), which reads as -1 here.
    guard a >= 0, a <= b, b <= length else { return nil }
    return a..<b
  }
}

/// A replacement template of Python's re.sub: text, `\1`, `\g<1>`, `\g<name>`, octal
/// codes (`\0`, `\012`) and the escapes `\n \t \r \f \v \a \b \\`; parsed once at
/// bind time.
struct Template: Sendable {
  enum Part: Sendable {
    case text([UInt8])
    case group(Int)
  }
  let parts: [Part]

  init(_ repl: String, _ regex: Regex, function: String) throws(SFError) {
    var parts: [Part] = []
    var text: [UInt8] = []
    var bytes = Array(repl.utf8)[...]
    func bad(_ why: String) -> SFError { SFError(.argument, "\(function)(): bad replacement '\(repl)': \(why)") }
    func group(_ k: Int) throws(SFError) {
      guard k <= regex.captureCount else { throw bad("invalid group reference \(k)") }
      if !text.isEmpty { parts.append(.text(text)); text = [] }
      parts.append(.group(k))
    }
    while let b = bytes.popFirst() {
      guard b == UInt8(ascii: "\\") else { text.append(b); continue }
      guard let e = bytes.popFirst() else { throw bad("bad escape (end of pattern)") }
      switch e {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        // As Python's sre: \0 plus up to two octal digits, or three octal digits, is
        // an octal character code; otherwise one or two digits name a group.
        func isOctal(_ d: UInt8?) -> Bool { d.map { $0 >= 48 && $0 <= 55 } ?? false }
        func isDigit(_ d: UInt8?) -> Bool { d.map { $0 >= 48 && $0 <= 57 } ?? false }
        var code: Int? = nil
        var k = Int(e - 48)
        if e == UInt8(ascii: "0") {
          var v = 0
          for _ in 0..<2 where isOctal(bytes.first) { v = v * 8 + Int(bytes.removeFirst() - 48) }
          code = v
        } else if isDigit(bytes.first) {
          let second = bytes.removeFirst()
          if isOctal(e), isOctal(second), isOctal(bytes.first) {
            let v = Int(e - 48) * 64 + Int(second - 48) * 8 + Int(bytes.removeFirst() - 48)
            guard v <= 0o377 else { throw bad("octal escape value \\\(String(v, radix: 8)) outside of range 0-0o377") }
            code = v
          } else {
            k = k * 10 + Int(second - 48)
          }
        }
        if let code {
          text += Array(String(Character(Unicode.Scalar(UInt8(code)))).utf8)
        } else {
          try group(k)
        }
      case UInt8(ascii: "g"):
        guard bytes.first == UInt8(ascii: "<"), let close = bytes.firstIndex(of: UInt8(ascii: ">")) else {
          throw bad("missing < or > in \\g<...>")
        }
        let name = String(decoding: bytes[(bytes.startIndex + 1)..<close], as: UTF8.self)
        bytes = bytes[(close + 1)...]
        if let k = Int(name), k >= 0 {
          try group(k)
        } else if let k = regex.groupNumber(name) {
          try group(k)
        } else {
          throw bad("unknown group name '\(name)'")
        }
      case UInt8(ascii: "n"): text.append(10)
      case UInt8(ascii: "t"): text.append(9)
      case UInt8(ascii: "r"): text.append(13)
      case UInt8(ascii: "f"): text.append(12)
      case UInt8(ascii: "v"): text.append(11)
      case UInt8(ascii: "a"): text.append(7)
      case UInt8(ascii: "b"): text.append(8)
      case UInt8(ascii: "\\"): text.append(e)
      case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
        throw bad("bad escape \\\(Character(Unicode.Scalar(e)))")
      default:
        text.append(b)
        text.append(e)
      }
    }
    if !text.isEmpty { parts.append(.text(text)) }
    self.parts = parts
  }

  /// Appends the replacement for the last match of `s`.
  @inline(__always)
  func append(to out: StringBuilder, _ s: UnsafeRawBufferPointer, _ m: MatchData) {
    for part in parts {
      switch part {
      case .text(let t): t.withUnsafeBytes { out.append($0) }
      case .group(let k):
        if let r = m.group(k, s.count) { out.append(UnsafeRawBufferPointer(rebasing: s[r])) }
      }
    }
  }
}
