import FrameStorage

/// `text` with every reference to column `name` (a bare identifier that is not a
/// function call, or a `quoted` name) replaced by `replacement`, the rest of the text
/// kept byte for byte. Renames and state replays use it so expressions keep their
/// spelling.
public func replacingColumn(_ name: String, in text: String, with replacement: String) throws(SFError) -> String {
  let tokens = try Lexer.tokenize(text)
  let bytes = Array(text.utf8)
  var out: [UInt8] = []
  var copied = 0
  for (k, (token, position)) in tokens.enumerated() {
    let length: Int
    switch token {
    case .identifier(let n) where n == name && !literalWords.contains(n):
      if k + 1 < tokens.count, tokens[k + 1].0 == .op("(") { continue }  // a function of that name
      length = n.utf8.count
    case .quoted(let n) where n == name: length = n.utf8.count + 2
    default: continue
    }
    out += bytes[copied..<position]
    out += Array(replacement.utf8)
    copied = position + length
  }
  out += bytes[copied...]
  return String(decoding: out, as: UTF8.self)
}

/// An expression naming column `name`: bare when it is an identifier, else in backticks.
public func columnReference(_ name: String) -> String {
  let first = name.utf8.first.map { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 } ?? false
  let rest = name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || ($0 >= 48 && $0 <= 57) }
  return first && rest && !literalWords.contains(name) ? name : "`\(name)`"
}

/// Identifiers the parser reads as literals, never as columns.
private let literalWords: Set<String> = ["True", "False", "inf", "nan"]
