/// A small JSON reader (RFC 8259; numbers as doubles) for option objects and frame states.
indirect enum JSONValue {
  case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([(String, JSONValue)])
}

struct JSONParser {
  let bytes: [UInt8]
  var i = 0
  var depth = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  func error(_ what: String) -> SFError { .argument("invalid JSON at byte \(i): \(what)") }

  mutating func skipSpace() {
    while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
  }

  mutating func document() throws(SFError) -> JSONValue {
    let v = try value()
    skipSpace()
    guard i == bytes.count else { throw error("trailing characters") }
    return v
  }

  mutating func literal(_ word: String, _ v: JSONValue) throws(SFError) -> JSONValue {
    let w = Array(word.utf8)
    guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw error("unexpected token") }
    i += w.count
    return v
  }

  mutating func value() throws(SFError) -> JSONValue {
    skipSpace()
    guard i < bytes.count else { throw error("unexpected end") }
    depth += 1
    defer { depth -= 1 }
    guard depth < 64 else { throw error("nested too deeply") }
    switch bytes[i] {
    case UInt8(ascii: "n"): return try literal("null", .null)
    case UInt8(ascii: "t"): return try literal("true", .bool(true))
    case UInt8(ascii: "f"): return try literal("false", .bool(false))
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "["):
      i += 1
      var items: [JSONValue] = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
      while true {
        items.append(try value())
        skipSpace()
        guard i < bytes.count else { throw error("unterminated array") }
        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
        guard bytes[i] == UInt8(ascii: "]") else { throw error("expected , or ]") }
        i += 1
        return .array(items)
      }
    case UInt8(ascii: "{"):
      i += 1
      var entries: [(String, JSONValue)] = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(entries) }
      while true {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a key") }
        let key = try string()
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected :") }
        i += 1
        entries.append((key, try value()))
        skipSpace()
        guard i < bytes.count else { throw error("unterminated object") }
        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
        guard bytes[i] == UInt8(ascii: "}") else { throw error("expected , or }") }
        i += 1
        return .object(entries)
      }
    default:
      let start = i
      while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
      guard i > start, let n = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else {
        throw error("unexpected character")
      }
      return .number(n)
    }
  }

  mutating func hex4() throws(SFError) -> UInt32 {
    guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
      throw error("bad \\u escape")
    }
    i += 4
    return v
  }

  mutating func string() throws(SFError) -> String {
    i += 1  // opening quote
    var out: [UInt8] = []
    while true {
      guard i < bytes.count else { throw error("unterminated string") }
      let c = bytes[i]
      i += 1
      if c == UInt8(ascii: "\"") { break }
      if c != UInt8(ascii: "\\") { out.append(c); continue }
      guard i < bytes.count else { throw error("unterminated escape") }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
      case UInt8(ascii: "b"): out.append(8)
      case UInt8(ascii: "f"): out.append(12)
      case UInt8(ascii: "n"): out.append(10)
      case UInt8(ascii: "r"): out.append(13)
      case UInt8(ascii: "t"): out.append(9)
      case UInt8(ascii: "u"):
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
           bytes[i + 1] == UInt8(ascii: "u") {
          i += 2
          let low = try hex4()
          guard (0xDC00..<0xE000).contains(low) else { throw error("bad surrogate pair") }
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("bad \\u escape") }
        out += Array(String(Character(scalar)).utf8)
      default: throw error("bad escape")
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
