import FrameStorage

/// What function families use to bind a call: argument counts, operands (checked
/// subtrees) and literal parameters, with errors that name the function.
extension TypeChecker {
  /// Throws unless `args.count` is in `counts`.
  func arity(_ name: String, _ args: [Node], _ counts: ClosedRange<Int>) throws(SFError) {
    guard counts.contains(args.count) else {
      let wanted = counts.count == 1 ? "\(counts.lowerBound)" : "\(counts.lowerBound) to \(counts.upperBound)"
      throw SFError(.type, "\(name)() takes \(wanted) argument\(counts.upperBound == 1 ? "" : "s") (\(args.count) given)")
    }
  }

  /// An operand: a checked subtree (a bare literal takes its default type).
  mutating func operand(_ node: Node) throws(SFError) -> TypedNode {
    try strong(typed(node))
  }

  /// A string operand, or a type error naming the function.
  mutating func stringOperand(_ name: String, _ node: Node) throws(SFError) -> TypedNode {
    let n = try operand(node)
    guard n.dtype.isString else { throw SFError(.type, "\(name)() needs a string operand, got \(n.dtype)") }
    return n
  }

  /// The literal parameter `args[i]` (a number, string or bool written in the call),
  /// after Python-number folding (`-1`, `2 ** 3`); a column there is a type error.
  mutating func parameter(_ name: String, _ args: [Node], _ i: Int) throws(SFError) -> Literal {
    guard case .weak(let lit) = try typed(args[i]) else {
      throw SFError(.type, "argument \(i + 1) of \(name)() must be a constant, not an expression")
    }
    return lit
  }

  mutating func stringParameter(_ name: String, _ args: [Node], _ i: Int) throws(SFError) -> String {
    guard case .string(let s) = try parameter(name, args, i) else {
      throw SFError(.type, "argument \(i + 1) of \(name)() must be a string")
    }
    return s
  }

  mutating func intParameter(_ name: String, _ args: [Node], _ i: Int) throws(SFError) -> Int64 {
    switch try parameter(name, args, i) {
    case .int(let v): return v
    case .uint(let v) where v <= UInt64(Int64.max): return Int64(v)
    default: throw SFError(.type, "argument \(i + 1) of \(name)() must be an integer")
    }
  }

  mutating func boolParameter(_ name: String, _ args: [Node], _ i: Int) throws(SFError) -> Bool {
    guard case .bool(let b) = try parameter(name, args, i) else {
      throw SFError(.type, "argument \(i + 1) of \(name)() must be True or False")
    }
    return b
  }
}
