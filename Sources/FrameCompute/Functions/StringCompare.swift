#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// `==`, `!=`, `<`, … between strings, as Python compares str: UTF-8 byte order is
/// code point order. One operand may be a string literal.
struct StringCompare: VectorFunction {
  let op: BinaryOp
  /// The right operand when it is a literal (the node then has one child).
  let constant: [UInt8]?

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    let p = out.values.assumingMemoryBound(to: UInt8.self)
    if let constant {
      constant.withUnsafeBytes { c in
        for i in 0..<out.count { p[i] = op.holds(order(a.string(i), c)) ? 1 : 0 }
      }
      return out.vec(.bool, valid: a.valid)
    }
    let b = args[1]
    for i in 0..<out.count { p[i] = op.holds(order(a.string(i), b.string(i))) ? 1 : 0 }
    return out.vec(.bool, valid: out.validity([a.valid, b.valid]))
  }
}

/// -1, 0 or 1 as `a` sorts before, with or after `b` (bytewise, shorter first on a tie).
@inline(__always)
func order(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
  let n = min(a.count, b.count)
  if n > 0, let x = a.baseAddress, let y = b.baseAddress {
    let c = memcmp(x, y, n)
    if c != 0 { return c < 0 ? -1 : 1 }
  }
  return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
}

extension BinaryOp {
  /// Whether this comparison holds for operands that order as `c` (-1, 0 or 1).
  @inline(__always)
  func holds(_ c: Int) -> Bool {
    switch self {
    case .less: c < 0
    case .lessEqual: c <= 0
    case .greater: c > 0
    case .greaterEqual: c >= 0
    case .equal: c == 0
    default: c != 0
    }
  }

  /// The comparison with its operands swapped (`1 < x` is `x > 1`).
  var swapped: BinaryOp {
    switch self {
    case .less: .greater
    case .lessEqual: .greaterEqual
    case .greater: .less
    case .greaterEqual: .lessEqual
    default: self
    }
  }
}

extension TypeChecker {
  /// A binary operator with a string operand: comparisons between strings (or a
  /// string and a string literal); nil when no operand is a string.
  func stringBinary(_ op: BinaryOp, _ a: Checked, _ b: Checked) throws(SFError) -> TypedNode? {
    func isString(_ c: Checked) -> Bool {
      switch c {
      case .node(let n): n.dtype.isString
      case .weak(.string): true
      case .weak: false
      }
    }
    guard isString(a) || isString(b) else { return nil }
    if op == .add, let joined = try concatenation(a, b) { return joined }
    guard op.isComparison else {
      throw SFError(.type, "'\(op.rawValue)' is not supported between strings")
    }
    switch (a, b) {
    case (.node(let x), .node(let y)) where x.dtype.isString && y.dtype.isString:
      return TypedNode(.apply(StringCompare(op: op, constant: nil)), .bool, [x, y])
    case (.node(let x), .weak(.string(let s))) where x.dtype.isString:
      return TypedNode(.apply(StringCompare(op: op, constant: Array(s.utf8))), .bool, [x])
    case (.weak(.string(let s)), .node(let y)) where y.dtype.isString:
      return TypedNode(.apply(StringCompare(op: op.swapped, constant: Array(s.utf8))), .bool, [y])
    default:
      throw SFError(.type, "'\(op.rawValue)' cannot compare \(describe(a)) with \(describe(b))")
    }
  }

  /// `a + b` between strings (a column and a column or a string literal), or nil.
  private func concatenation(_ a: Checked, _ b: Checked) throws(SFError) -> TypedNode? {
    switch (a, b) {
    case (.node(let x), .node(let y)) where x.dtype.isString && y.dtype.isString:
      return TypedNode(.apply(Concat(separator: [], constant: nil, constantFirst: false)), .largeString, [x, y])
    case (.node(let x), .weak(.string(let s))) where x.dtype.isString:
      return TypedNode(.apply(Concat(separator: [], constant: Array(s.utf8), constantFirst: false)), .largeString, [x])
    case (.weak(.string(let s)), .node(let y)) where y.dtype.isString:
      return TypedNode(.apply(Concat(separator: [], constant: Array(s.utf8), constantFirst: true)), .largeString, [y])
    default:
      return nil
    }
  }

  private func describe(_ c: Checked) -> String {
    switch c {
    case .node(let n): "a \(n.dtype) expression"
    case .weak(let lit): "the literal \(lit.text)"
    }
  }
}
