import FrameStorage

/// A parsed expression, before names are resolved and types checked.
public indirect enum Node: Sendable, Equatable {
  case column(String)
  /// A stored column by schema index: what a virtual column's self-reference
  /// (`df["x"] = df.x * 2`) is rewritten to when `x` is redefined.
  case storedField(Int)
  case literal(Literal)
  case unary(UnaryOp, Node)
  case binary(BinaryOp, Node, Node)
  case call(String, [Node])
}

/// A literal as Python writes it. Literals are "weak" (NEP 50): they take the
/// type of the array they meet, as numpy 2 does with Python scalars.
public enum Literal: Sendable, Equatable {
  case int(Int64)
  case uint(UInt64)
  case float(Double)
  case bool(Bool)
  case string(String)
}

extension Literal {
  /// The literal as Python writes it, for messages.
  public var text: String {
    switch self {
    case .int(let v): "\(v)"
    case .uint(let v): "\(v)"
    case .float(let v): "\(v)"
    case .bool(let v): v ? "True" : "False"
    case .string(let s): "'\(s)'"
    }
  }
}

public enum UnaryOp: String, Sendable {
  case negate = "-", plus = "+", invert = "~"
}

public enum BinaryOp: String, Sendable, CaseIterable {
  case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//"
  case modulo = "%", power = "**"
  case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="
  case and = "&", or = "|", xor = "^", shiftLeft = "<<", shiftRight = ">>"

  var isComparison: Bool {
    switch self {
    case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: true
    default: false
    }
  }
}

extension Node {
  /// Calls `body` on every column name the expression refers to.
  public func forEachColumn(_ body: (String) -> Void) {
    switch self {
    case .column(let name): body(name)
    case .storedField, .literal: break
    case .unary(_, let e): e.forEachColumn(body)
    case .binary(_, let l, let r): l.forEachColumn(body); r.forEachColumn(body)
    case .call(_, let args): for a in args { a.forEachColumn(body) }
    }
  }

  /// Replaces references to column `name` with `replacement`.
  public func substituting(_ name: String, with replacement: Node) -> Node {
    switch self {
    case .column(let n): n == name ? replacement : self
    case .storedField, .literal: self
    case .unary(let op, let e): .unary(op, e.substituting(name, with: replacement))
    case .binary(let op, let l, let r):
      .binary(op, l.substituting(name, with: replacement), r.substituting(name, with: replacement))
    case .call(let f, let args): .call(f, args.map { $0.substituting(name, with: replacement) })
    }
  }
}
