import FrameStorage

/// `text` with its column references renamed by `names` (old → new): bare names and
/// `quoted` names that are not called as functions; everything else is kept byte for
/// byte. Used where a frame's columns are renamed (a join's suffixes) so that the
/// virtual columns, filter and selections written against the old names still read.
public func renamingColumns(_ text: String, _ names: [String: String]) throws(SFError) -> String {
  guard !names.isEmpty else { return text }
  let tokens = try Lexer.tokenize(text)
  let bytes = Array(text.utf8)
  var out: [UInt8] = []
  out.reserveCapacity(bytes.count)
  var at = 0
  for (t, (token, start)) in tokens.enumerated() {
    let name: String, length: Int
    switch token {
    case .identifier(let n) where !["True", "False", "inf", "nan"].contains(n):
      // A name followed by "(" is a function call, not a column.
      if t + 1 < tokens.count, tokens[t + 1].0 == .op("(") { continue }
      (name, length) = (n, n.utf8.count)
    case .quoted(let n):
      (name, length) = (n, n.utf8.count + 2)
    default:
      continue
    }
    guard let new = names[name], start >= at, start + length <= bytes.count else { continue }
    out += bytes[at..<start]
    out += Array(columnReference(new).utf8)
    at = start + length
  }
  out += bytes[at...]
  return String(decoding: out, as: UTF8.self)
}

/// A column name as expression text: bare when it lexes as one identifier, else in backticks.
public func columnReference(_ name: String) -> String {
  let bytes = Array(name.utf8)
  let isLetter = { (c: UInt8) in (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 128 }
  let isDigit = { (c: UInt8) in c >= 48 && c <= 57 }
  if let first = bytes.first, isLetter(first), bytes.allSatisfy({ isLetter($0) || isDigit($0) }),
     !["True", "False", "inf", "nan"].contains(name) {
    return name
  }
  return "`\(name)`"
}

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
