import FrameStorage

/// A recursive-descent parser with Python's precedence, from lowest to highest:
/// comparisons (chained: `a < b < c` is `(a < b) & (b < c)`), `|`, `^`, `&`,
/// `<< >>`, `+ -`, `* / // %`, unary `- + ~`, `**` (right-associative, and
/// binding tighter than a unary minus on its left: `-x**2` is `-(x**2)`).
public struct Parser {
  private var tokens: [(Token, Int)]
  private var index = 0
  private var depth = 0
  private let text: String
  /// Nesting deeper than this is refused, so hostile input cannot exhaust the stack.
  static let maxDepth = 200

  public static func parse(_ text: String) throws(SFError) -> Node {
    var parser = Parser(text: text, tokens: try Lexer.tokenize(text))
    if parser.peek == .end { throw SFError(.expression, "empty expression") }
    let node = try parser.comparison()
    guard parser.peek == .end else { throw parser.unexpected() }
    return node
  }

  private init(text: String, tokens: [(Token, Int)]) {
    self.text = text
    self.tokens = tokens
  }

  private var peek: Token { tokens[index].0 }

  private mutating func advance() -> Token {
    let t = tokens[index].0
    if index < tokens.count - 1 { index += 1 }
    return t
  }

  private mutating func accept(_ ops: [String]) -> String? {
    if case .op(let o) = peek, ops.contains(o) {
      _ = advance()
      return o
    }
    return nil
  }

  private func unexpected() -> SFError {
    let (token, position) = tokens[index]
    let what: String
    switch token {
    case .end: what = "unexpected end of expression"
    case .op(let o): what = "unexpected '\(o)' at position \(position)"
    case .number(let n): what = "unexpected number '\(n)' at position \(position)"
    case .identifier(let n), .quoted(let n): what = "unexpected name '\(n)' at position \(position)"
    case .string: what = "unexpected string at position \(position)"
    }
    return SFError(.expression, "invalid syntax: \(what) in expression '\(text)'")
  }

  private mutating func nested<T>(_ body: (inout Parser) throws(SFError) -> T) throws(SFError) -> T {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Parser.maxDepth else {
      throw SFError(.expression, "expression nested too deeply (more than \(Parser.maxDepth) levels)")
    }
    return try body(&self)
  }

  private mutating func comparison() throws(SFError) -> Node {
    let first = try bitOr()
    var left = first
    var result: Node?
    while let o = accept(["<", "<=", ">", ">=", "==", "!="]) {
      let right = try bitOr()
      let cmp = Node.binary(BinaryOp(rawValue: o)!, left, right)
      result = result.map { .binary(.and, $0, cmp) } ?? cmp
      left = right
    }
    return result ?? first
  }

  private mutating func binaryLevel(_ ops: [String], _ next: (inout Parser) throws(SFError) -> Node) throws(SFError) -> Node {
    var left = try next(&self)
    while let o = accept(ops) {
      left = .binary(BinaryOp(rawValue: o)!, left, try next(&self))
    }
    return left
  }

  private mutating func bitOr() throws(SFError) -> Node { try binaryLevel(["|"]) { p throws(SFError) in try p.bitXor() } }
  private mutating func bitXor() throws(SFError) -> Node { try binaryLevel(["^"]) { p throws(SFError) in try p.bitAnd() } }
  private mutating func bitAnd() throws(SFError) -> Node { try binaryLevel(["&"]) { p throws(SFError) in try p.shift() } }
  private mutating func shift() throws(SFError) -> Node { try binaryLevel(["<<", ">>"]) { p throws(SFError) in try p.arith() } }
  private mutating func arith() throws(SFError) -> Node { try binaryLevel(["+", "-"]) { p throws(SFError) in try p.term() } }
  private mutating func term() throws(SFError) -> Node {
    try binaryLevel(["*", "/", "//", "%"]) { p throws(SFError) in try p.factor() }
  }

  private mutating func factor() throws(SFError) -> Node {
    if let o = accept(["-", "+", "~"]) {
      let operand = try nested { p throws(SFError) in try p.factor() }
      if o == "-", case .literal(let lit) = operand, let negated = Parser.negate(lit) { return .literal(negated) }
      return .unary(UnaryOp(rawValue: o)!, operand)
    }
    return try power()
  }

  private mutating func power() throws(SFError) -> Node {
    let base = try primary()
    if accept(["**"]) != nil {
      return .binary(.power, base, try nested { p throws(SFError) in try p.factor() })
    }
    return base
  }

  private mutating func primary() throws(SFError) -> Node {
    switch peek {
    case .number(let text):
      _ = advance()
      return .literal(try parseNumber(text))
    case .string(let s):
      _ = advance()
      return .literal(.string(s))
    case .quoted(let name):
      _ = advance()
      return .column(name)
    case .identifier(let name):
      _ = advance()
      switch name {
      case "True": return .literal(.bool(true))
      case "False": return .literal(.bool(false))
      case "inf": return .literal(.float(.infinity))
      case "nan": return .literal(.float(.nan))
      default: break
      }
      guard accept(["("]) != nil else { return .column(name) }
      var args: [Node] = []
      if accept([")"]) == nil {
        repeat {
          args.append(try nested { p throws(SFError) in try p.comparison() })
        } while accept([","]) != nil
        guard accept([")"]) != nil else { throw unexpected() }
      }
      return .call(name, args)
    case .op("("):
      _ = advance()
      let inner = try nested { p throws(SFError) in try p.comparison() }
      guard accept([")"]) != nil else { throw unexpected() }
      return inner
    default:
      throw unexpected()
    }
  }

  private func parseNumber(_ raw: String) throws(SFError) -> Literal {
    let text = raw.replacingUnderscores()
    if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
      if let v = Int64(text) { return .int(v) }
      if let v = UInt64(text) { return .uint(v) }
      throw SFError(.expression, "integer literal \(raw) does not fit in 64 bits")
    }
    guard let v = Double(text) else { throw SFError(.expression, "invalid number '\(raw)' in expression '\(self.text)'") }
    return .float(v)
  }

  private static func negate(_ lit: Literal) -> Literal? {
    switch lit {
    case .int(let v): return v == .min ? nil : .int(-v)
    case .uint(let v): return v == UInt64(Int64.max) + 1 ? .int(.min) : nil
    case .float(let v): return .float(-v)
    case .bool, .string: return nil
    }
  }
}

extension String {
  fileprivate func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
