import FrameStorage

/// Tokens of the expression language: Python's expression syntax, restricted to
/// what columns need. Column names that are not identifiers are written in backticks.
enum Token: Equatable {
  case number(String)
  case identifier(String)
  /// A `backticked` column name: never a keyword or a function.
  case quoted(String)
  case string(String)
  case op(String)
  case end
}

struct Lexer {
  private let bytes: [UInt8]
  private var index = 0
  let text: String

  init(_ text: String) {
    self.text = text
    self.bytes = Array(text.utf8)
  }

  /// Splits the whole text into tokens with their byte positions.
  static func tokenize(_ text: String) throws(SFError) -> [(Token, Int)] {
    var lexer = Lexer(text)
    var tokens: [(Token, Int)] = []
    while true {
      let (token, position) = try lexer.next()
      tokens.append((token, position))
      if token == .end { return tokens }
    }
  }

  private static let operators = ["**", "//", "<<", ">>", "<=", ">=", "==", "!=",
                                  "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "(", ")", ","]

  private mutating func next() throws(SFError) -> (Token, Int) {
    while index < bytes.count, bytes[index] == 32 || bytes[index] == 9 || bytes[index] == 10 || bytes[index] == 13 {
      index += 1
    }
    let start = index
    guard index < bytes.count else { return (.end, start) }
    let c = bytes[index]
    if isDigit(c) || (c == UInt8(ascii: ".") && index + 1 < bytes.count && isDigit(bytes[index + 1])) {
      return (.number(lexNumber()), start)
    }
    if isIdentifierStart(c) {
      while index < bytes.count, isIdentifierStart(bytes[index]) || isDigit(bytes[index]) { index += 1 }
      return (.identifier(String(decoding: bytes[start..<index], as: UTF8.self)), start)
    }
    if c == UInt8(ascii: "`") {
      index += 1
      while index < bytes.count, bytes[index] != UInt8(ascii: "`") { index += 1 }
      guard index < bytes.count else { throw error("unterminated `quoted` column name", at: start) }
      index += 1
      return (.quoted(String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self)), start)
    }
    if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
      return (.string(try lexString(quote: c)), start)
    }
    for op in Lexer.operators {
      let u = Array(op.utf8)
      if index + u.count <= bytes.count, Array(bytes[index..<(index + u.count)]) == u {
        index += u.count
        return (.op(op), start)
      }
    }
    throw error("unexpected character '\(String(decoding: [c], as: UTF8.self))'", at: start)
  }

  private mutating func lexNumber() -> String {
    let start = index
    while index < bytes.count, isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "_") { index += 1 }
    if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
      index += 1
      while index < bytes.count, isDigit(bytes[index]) { index += 1 }
    }
    if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
      var j = index + 1
      if j < bytes.count, bytes[j] == UInt8(ascii: "+") || bytes[j] == UInt8(ascii: "-") { j += 1 }
      if j < bytes.count, isDigit(bytes[j]) {
        index = j
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
      }
    }
    return String(decoding: bytes[start..<index], as: UTF8.self)
  }

  private mutating func lexString(quote: UInt8) throws(SFError) -> String {
    let start = index
    index += 1
    var out: [UInt8] = []
    while index < bytes.count, bytes[index] != quote {
      if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.count {
        index += 1
        switch bytes[index] {
        case UInt8(ascii: "n"): out.append(10)
        case UInt8(ascii: "t"): out.append(9)
        default: out.append(bytes[index])
        }
      } else {
        out.append(bytes[index])
      }
      index += 1
    }
    guard index < bytes.count else { throw error("unterminated string literal", at: start) }
    index += 1
    return String(decoding: out, as: UTF8.self)
  }

  private func error(_ what: String, at position: Int) -> SFError {
    SFError(.expression, "\(what) at position \(position) in expression '\(text)'")
  }
}

@inline(__always) func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
@inline(__always) func isIdentifierStart(_ c: UInt8) -> Bool {
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 128
}
