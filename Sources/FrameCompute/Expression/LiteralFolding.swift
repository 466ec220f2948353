#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

extension Literal {
  var isInteger: Bool {
    switch self {
    case .int, .uint: true
    default: false
    }
  }
}

/// Operators on two Python numbers, computed as Python computes them before numpy
/// sees the result (`x + 2 ** 3` adds a weak 8; `2 ** -1` is 0.5). nil means "not
/// folded": Python would raise (division by zero, a complex result) or the operator
/// does not apply to these literals, and the operands are then typed as numpy arrays.
enum LiteralFolding {
  private enum Number {
    case int(Int128)
    case float(Double)
  }

  private static func number(_ lit: Literal) -> Number? {
    switch lit {
    case .int(let v): .int(Int128(v))
    case .uint(let v): .int(Int128(v))
    case .bool(let v): .int(v ? 1 : 0)
    case .float(let v): .float(v)
    case .string: nil
    }
  }

  private static func double(_ n: Number) -> Double {
    switch n {
    case .int(let v): Double(v)
    case .float(let v): v
    }
  }

  private static func literal(_ v: Int128) throws(SFError) -> Literal {
    if let i = Int64(exactly: v) { return .int(i) }
    if let u = UInt64(exactly: v) { return .uint(u) }
    throw SFError(.type, "Python integer \(v) does not fit in 64 bits")
  }

  static func negate(_ lit: Literal) throws(SFError) -> Literal? {
    switch lit {
    case .float(let v): .float(-v)
    case .int, .uint, .bool: try binary(.subtract, .int(0), lit)
    case .string: nil
    }
  }

  static func binary(_ op: BinaryOp, _ l: Literal, _ r: Literal) throws(SFError) -> Literal? {
    guard let a = number(l), let b = number(r) else { return nil }
    if op.isComparison {
      let result: Bool
      switch (a, b) {
      case (.int(let x), .int(let y)): result = compare(op, x, y)
      default: result = compare(op, double(a), double(b))
      }
      return .bool(result)
    }
    switch (a, b) {
    case (.int(let x), .int(let y)):
      return try integers(op, x, y, bothBool: l.isBool && r.isBool)
    default:
      return floats(op, double(a), double(b)).map { .float($0) }
    }
  }

  private static func compare<T: Comparable>(_ op: BinaryOp, _ x: T, _ y: T) -> Bool {
    switch op {
    case .less: x < y
    case .lessEqual: x <= y
    case .greater: x > y
    case .greaterEqual: x >= y
    case .equal: x == y
    default: x != y
    }
  }

  private static func integers(_ op: BinaryOp, _ x: Int128, _ y: Int128, bothBool: Bool) throws(SFError) -> Literal? {
    switch op {
    case .add: return try literal(x + y)
    case .subtract: return try literal(x - y)
    case .multiply: return try literal(x * y)
    case .divide: return y == 0 ? nil : .float(Double(x) / Double(y))
    case .floorDivide:
      guard y != 0 else { return nil }
      let q = x / y
      return try literal((x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q)
    case .modulo:
      guard y != 0 else { return nil }
      let m = x % y
      return try literal((m != 0 && ((m < 0) != (y < 0))) ? m + y : m)
    case .power:
      if y < 0 { return x == 0 ? nil : .float(pow(Double(x), Double(y))) }
      var result: Int128 = 1, base = x, e = y
      while e > 0 {
        if e & 1 == 1 {
          let (p, o) = result.multipliedReportingOverflow(by: base)
          guard !o else { throw SFError(.type, "Python integer \(x) ** \(y) does not fit in 64 bits") }
          result = p
        }
        e >>= 1
        if e > 0 {
          let (p, o) = base.multipliedReportingOverflow(by: base)
          guard !o else { throw SFError(.type, "Python integer \(x) ** \(y) does not fit in 64 bits") }
          base = p
        }
      }
      return try literal(result)
    case .and: return bothBool ? .bool(x & y != 0) : try literal(x & y)
    case .or: return bothBool ? .bool(x | y != 0) : try literal(x | y)
    case .xor: return bothBool ? .bool(x ^ y != 0) : try literal(x ^ y)
    case .shiftLeft:
      guard y >= 0 else { return nil }
      guard y < 128, x == 0 || (x << y) >> y == x else {
        throw SFError(.type, "Python integer \(x) << \(y) does not fit in 64 bits")
      }
      return try literal(x << y)
    case .shiftRight:
      guard y >= 0 else { return nil }
      return try literal(x >> min(y, 127))
    default:
      return nil
    }
  }

  private static func floats(_ op: BinaryOp, _ x: Double, _ y: Double) -> Double? {
    switch op {
    case .add: return x + y
    case .subtract: return x - y
    case .multiply: return x * y
    case .divide: return y == 0 ? nil : x / y
    case .floorDivide: return y == 0 ? nil : Double.floorDivide(x, y)
    case .modulo: return y == 0 ? nil : Double.modulo(x, y)
    case .power:
      if x == 0 && y < 0 { return nil }  // ZeroDivisionError in Python
      if x < 0 && y.rounded() != y && y.isFinite { return nil }  // a complex number in Python
      let p = pow(x, y)
      if p.isInfinite && x.isFinite && y.isFinite { return nil }  // OverflowError in Python
      return p
    default:
      return nil
    }
  }
}

extension Literal {
  fileprivate var isBool: Bool {
    if case .bool = self { return true }
    return false
  }
}
