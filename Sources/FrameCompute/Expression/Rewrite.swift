import FrameStorage

/// `text` with each column reference (a bare identifier that is not a function call, or
/// a `quoted` name) that `replacement` maps replaced by the text it gives, the rest of
/// the text kept byte for byte, so expressions keep their spelling. Renames, joins'
/// suffixes and state replays use it.
public func replacingColumns(in text: String, _ replacement: (String) -> String?) throws(SFError) -> String {
  let tokens = try Lexer.tokenize(text)
  let bytes = Array(text.utf8)
  var out: [UInt8] = []
  out.reserveCapacity(bytes.count)
  var copied = 0
  for (k, (token, position)) in tokens.enumerated() {
    let name: String, length: Int
    switch token {
    case .identifier(let n) where !literalWords.contains(n):
      if k + 1 < tokens.count, tokens[k + 1].0 == .op("(") { continue }  // a function of that name
      (name, length) = (n, n.utf8.count)
    case .quoted(let n): (name, length) = (n, n.utf8.count + 2)
    default: continue
    }
    guard let new = replacement(name), position >= copied, position + length <= bytes.count else { continue }
    out += bytes[copied..<position]
    out += Array(new.utf8)
    copied = position + length
  }
  out += bytes[copied...]
  return String(decoding: out, as: UTF8.self)
}

/// `text` with every reference to column `name` replaced by `replacement`.
public func replacingColumn(_ name: String, in text: String, with replacement: String) throws(SFError) -> String {
  try replacingColumns(in: text) { $0 == name ? replacement : nil }
}

/// `text` with its column references renamed by `names` (old → new, in one step, so
/// renames never chain).
public func renamingColumns(_ text: String, _ names: [String: String]) throws(SFError) -> String {
  names.isEmpty ? text : try replacingColumns(in: text) { names[$0].map(columnReference) }
}

/// An expression naming column `name`: bare when it lexes as one identifier, else in backticks.
public func columnReference(_ name: String) -> String {
  let bytes = Array(name.utf8)
  if let first = bytes.first, isIdentifierStart(first), bytes.allSatisfy({ isIdentifierStart($0) || isDigit($0) }),
     !literalWords.contains(name) {
    return name
  }
  return "`\(name)`"
}

/// Identifiers the parser reads as literals, never as columns.
private let literalWords: Set<String> = ["True", "False", "inf", "nan"]

extension Node {
  /// The node with column references renamed by `names` (old → new, in one step, so
  /// renames never chain) and stored field numbers moved by `shift` (a join puts the
  /// right side's fields after the left's).
  public func renamed(_ names: [String: String], shift: Int = 0) -> Node {
    switch self {
    case .column(let n): .column(names[n] ?? n)
    case .storedField(let i): .storedField(i + shift)
    case .literal: self
    case .unary(let op, let e): .unary(op, e.renamed(names, shift: shift))
    case .binary(let op, let l, let r): .binary(op, l.renamed(names, shift: shift), r.renamed(names, shift: shift))
    case .call(let f, let args): .call(f, args.map { $0.renamed(names, shift: shift) })
    }
  }
}
