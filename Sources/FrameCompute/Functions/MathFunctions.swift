#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

// numpy's element-wise math, with numpy's names and result dtypes: float functions
// compute integers in float64 (float32 for 8- and 16-bit integers and bool, where numpy
// has float16), keep float32 as float32; abs, sign, floor, ceil, trunc, minimum,
// maximum, fmod and round keep the (promoted) operand dtype; literals are weak (NEP 50).
// A missing operand gives a missing result.

/// Functions of one floating-point argument, computed in the argument's float dtype.
public enum FloatFunction: String, Sendable, CaseIterable {
  case sqrt, cbrt, exp, expm1, log, log2, log10, log1p
  case sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh
  case deg2rad, rad2deg, rint
}

extension TypeChecker {
  /// The math functions; nil when `name` is none of them.
  mutating func bindMathFunction(_ name: String, _ args: [Node]) throws(SFError) -> TypedNode? {
    if let fn = FloatFunction(rawValue: name) {
      try arity(name, args, 1...1)
      return floatFunction(fn, try numericOperand(name, args[0]))
    }
    switch name {
    case "abs":
      try arity(name, args, 1...1)
      let x = try numericOperand(name, args[0])
      // |bool| and |unsigned| are the values themselves.
      if x.dtype == .bool || x.dtype.isUnsignedInteger { return x }
      return TypedNode(.apply(ElementMath(fn: .abs)), x.dtype, [x])
    case "sign":
      try arity(name, args, 1...1)
      let x = try numericOperand(name, args[0])
      if x.dtype == .bool { throw SFError(.type, "sign() is not supported for bool values (numpy has no loop for it)") }
      return TypedNode(.apply(ElementMath(fn: .sign)), x.dtype, [x])
    case "floor", "ceil", "trunc":
      try arity(name, args, 1...1)
      let x = try numericOperand(name, args[0])
      // numpy 2 keeps integers and bools as they are.
      guard x.dtype.isFloat else { return x }
      let fn: ElementMath.Function = name == "floor" ? .floor : name == "ceil" ? .ceil : .trunc
      return TypedNode(.apply(ElementMath(fn: fn)), x.dtype, [x])
    case "isnan", "isinf", "isfinite":
      try arity(name, args, 1...1)
      let x = try numericOperand(name, args[0])
      let fn: FloatTest.Test = name == "isnan" ? .nan : name == "isinf" ? .infinite : .finite
      return TypedNode(.apply(FloatTest(test: fn)), .bool, [x])
    case "arctan2", "hypot":
      try arity(name, args, 2...2)
      let a = try typed(args[0]), b = try typed(args[1])
      let (x, y) = try floatOperands(a, b, "\(name)()")
      let t = x.dtype
      return TypedNode(.apply(BinaryMath(fn: name == "hypot" ? .hypot : .arctan2)), t, [cast(x, t), cast(y, t)])
    case "minimum", "maximum", "fmod":
      try arity(name, args, 2...2)
      return try binaryMath(name == "minimum" ? .minimum : name == "maximum" ? .maximum : .fmod,
                            typed(args[0]), typed(args[1]))
    case "power":
      try arity(name, args, 2...2)
      var base = try typed(args[0])
      let exponent = try typed(args[1])
      // The ** operator squares a bool in int8 (numpy's scalar fast path); the ufunc
      // meets the weak 2 as any Python int: int64.
      if case .node(let n) = base, n.dtype == .bool, case .weak(let lit) = exponent, lit.isInteger {
        base = .node(cast(n, .int64))
      }
      return try strong(binary(.power, base, exponent))
    case "round", "around":
      try arity(name, args, 1...2)
      let x = try numericOperand(name, args[0])
      let decimals = args.count == 2 ? try intParameter(name, args, 1) : 0
      return try round(x, decimals)
    case "clip":
      try arity(name, args, 3...3)
      let x = try typed(args[0]), lower = try typed(args[1]), upper = try typed(args[2])
      let low = try binaryMath(.maximum, x, clamped(lower, to: x))
      return try binaryMath(.minimum, .node(low), clamped(upper, to: .node(low)))
    default:
      return nil
    }
  }

  /// A numeric operand, or a type error naming the function.
  mutating func numericOperand(_ name: String, _ node: Node) throws(SFError) -> TypedNode {
    let n = try operand(node)
    try requireNumeric(n, "\(name)()")
    return n
  }

  /// `fn(x)` in x's float dtype (integers and bools cast first).
  func floatFunction(_ fn: FloatFunction, _ x: TypedNode) -> TypedNode {
    let t = floatType(for: x.dtype)
    return TypedNode(.apply(FloatMath(fn: fn)), t, [cast(x, t)])
  }

  /// The operands of a float function of two arguments, cast to the first float loop
  /// numpy finds for them: the wider float type of the array operands (arctan2(int8,
  /// uint16) is float32, not float64); a Python number takes the type NEP 50 gives it
  /// beside the other operand (int64 beside a bool, float64 for a float beside an
  /// integer), but is never out of range: it is converted to the float type.
  private func floatOperands(_ a: Checked, _ b: Checked, _ what: String) throws(SFError) -> (TypedNode, TypedNode) {
    for case .weak(.string(let text)) in [a, b] {
      throw SFError(.type, "\(what) is not supported for the string literal '\(text)'")
    }
    func floatOf(_ c: Checked, _ other: Checked) throws(SFError) -> DType {
      switch (c, other) {
      case (.node(let n), _):
        try requireNumeric(n, what)
        return floatType(for: n.dtype)
      case (.weak(let lit), .node(let n)):
        return floatType(for: weakPromote(n.dtype, lit))
      case (.weak(let lit), .weak):
        return floatType(for: defaultType(lit))
      }
    }
    let t = promote(try floatOf(a, b), try floatOf(b, a))
    func operand(_ c: Checked) throws(SFError) -> TypedNode {
      switch c {
      case .node(let n): return cast(n, t)
      case .weak(let lit): return try constant(lit, t)
      }
    }
    return (try operand(a), try operand(b))
  }

  /// minimum, maximum or fmod in the operands' promoted dtype (fmod of bools in int8).
  private func binaryMath(_ fn: BinaryMath.Function, _ a: Checked, _ b: Checked) throws(SFError) -> TypedNode {
    var (x, y) = try unify(a, b, "\(fn.rawValue)()")
    if fn == .fmod && x.dtype == .bool { (x, y) = (cast(x, .int8), cast(y, .int8)) }
    return TypedNode(.apply(BinaryMath(fn: fn)), x.dtype, [x, y])
  }

  /// numpy's clip takes an integer bound outside an integer operand's range as that
  /// range's end (`clip(int8, 0, 1000)` stays int8) instead of refusing it.
  private func clamped(_ bound: Checked, to x: Checked) -> Checked {
    guard case .node(let n) = x, n.dtype.isInteger, case .weak(let lit) = bound, lit.isInteger,
          !literalFits(lit, n.dtype) else { return bound }
    let negative: Bool
    switch lit {
    case .int(let v): negative = v < 0
    default: negative = false
    }
    let bits = n.dtype.byteWidth * 8
    let end: Literal
    if n.dtype.isSignedInteger {
      end = .int(negative ? Int64.min >> (64 - bits) : Int64.max >> (64 - bits))
    } else {
      end = negative ? .int(0) : .uint(UInt64.max >> (64 - bits))
    }
    return .weak(end)
  }

  /// numpy's round: half to even at `decimals` digits (negative: tens, hundreds, …).
  /// Integers stay integers (unchanged for decimals >= 0), floats keep their dtype.
  private func round(_ x: TypedNode, _ decimals: Int64) throws(SFError) -> TypedNode {
    if x.dtype.isInteger {
      return decimals >= 0 ? x : TypedNode(.apply(RoundDecimals(decimals: decimals)), x.dtype, [x])
    }
    if x.dtype == .bool {
      guard decimals == 0 else {
        throw SFError(.type, "round() of bool values with decimals other than 0 is not supported (numpy cannot cast the result back to bool)")
      }
      return floatFunction(.rint, x)
    }
    return TypedNode(.apply(RoundDecimals(decimals: decimals)), x.dtype, [x])
  }
}

// MARK: - The numeric types' math

/// The operations math functions need on every numeric type (bool as UInt8).
protocol MathValue: ColumnValue {
  /// C's fmod: the remainder with the dividend's sign; 0 for integer division by zero.
  static func fmodulo(_ a: Self, _ b: Self) -> Self
  /// -1, 0 or 1 (NaN for NaN).
  static func signum(_ a: Self) -> Self
}

extension MathValue where Self: FixedWidthInteger {
  @inline(__always) static func fmodulo(_ a: Self, _ b: Self) -> Self {
    if b == 0 { return 0 }
    let (r, overflow) = a.remainderReportingOverflow(dividingBy: b)
    return overflow ? 0 : r
  }
  @inline(__always) static func signum(_ a: Self) -> Self { a > 0 ? 1 : (a == 0 ? 0 : 0 &- 1) }
}

extension Int8: MathValue {}
extension Int16: MathValue {}
extension Int32: MathValue {}
extension Int64: MathValue {}
extension UInt8: MathValue {}
extension UInt16: MathValue {}
extension UInt32: MathValue {}
extension UInt64: MathValue {}

/// Floating-point types with libm's functions.
protocol RealValue: MathValue, BinaryFloatingPoint {
  static func cbrt(_ x: Self) -> Self
  static func exp(_ x: Self) -> Self
  static func expm1(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func log2(_ x: Self) -> Self
  static func log10(_ x: Self) -> Self
  static func log1p(_ x: Self) -> Self
  static func sin(_ x: Self) -> Self
  static func cos(_ x: Self) -> Self
  static func tan(_ x: Self) -> Self
  static func asin(_ x: Self) -> Self
  static func acos(_ x: Self) -> Self
  static func atan(_ x: Self) -> Self
  static func sinh(_ x: Self) -> Self
  static func cosh(_ x: Self) -> Self
  static func tanh(_ x: Self) -> Self
  static func asinh(_ x: Self) -> Self
  static func acosh(_ x: Self) -> Self
  static func atanh(_ x: Self) -> Self
  static func atan2(_ y: Self, _ x: Self) -> Self
  static func hypot(_ x: Self, _ y: Self) -> Self
}

extension RealValue {
  @inline(__always) static func signum(_ a: Self) -> Self { a > 0 ? 1 : (a < 0 ? -1 : (a == 0 ? 0 : a)) }
}

extension Double: RealValue {
  @inline(__always) static func fmodulo(_ a: Double, _ b: Double) -> Double { Glibc.fmod(a, b) }
  @inline(__always) static func cbrt(_ x: Double) -> Double { Glibc.cbrt(x) }
  @inline(__always) static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  @inline(__always) static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
  @inline(__always) static func log(_ x: Double) -> Double { Glibc.log(x) }
  @inline(__always) static func log2(_ x: Double) -> Double { Glibc.log2(x) }
  @inline(__always) static func log10(_ x: Double) -> Double { Glibc.log10(x) }
  @inline(__always) static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
  @inline(__always) static func sin(_ x: Double) -> Double { Glibc.sin(x) }
  @inline(__always) static func cos(_ x: Double) -> Double { Glibc.cos(x) }
  @inline(__always) static func tan(_ x: Double) -> Double { Glibc.tan(x) }
  @inline(__always) static func asin(_ x: Double) -> Double { Glibc.asin(x) }
  @inline(__always) static func acos(_ x: Double) -> Double { Glibc.acos(x) }
  @inline(__always) static func atan(_ x: Double) -> Double { Glibc.atan(x) }
  @inline(__always) static func sinh(_ x: Double) -> Double { Glibc.sinh(x) }
  @inline(__always) static func cosh(_ x: Double) -> Double { Glibc.cosh(x) }
  @inline(__always) static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
  @inline(__always) static func asinh(_ x: Double) -> Double { Glibc.asinh(x) }
  @inline(__always) static func acosh(_ x: Double) -> Double { Glibc.acosh(x) }
  @inline(__always) static func atanh(_ x: Double) -> Double { Glibc.atanh(x) }
  @inline(__always) static func atan2(_ y: Double, _ x: Double) -> Double { Glibc.atan2(y, x) }
  @inline(__always) static func hypot(_ x: Double, _ y: Double) -> Double { Glibc.hypot(x, y) }
}

extension Float: RealValue {
  @inline(__always) static func fmodulo(_ a: Float, _ b: Float) -> Float { fmodf(a, b) }
  @inline(__always) static func cbrt(_ x: Float) -> Float { cbrtf(x) }
  @inline(__always) static func exp(_ x: Float) -> Float { expf(x) }
  @inline(__always) static func expm1(_ x: Float) -> Float { expm1f(x) }
  @inline(__always) static func log(_ x: Float) -> Float { logf(x) }
  @inline(__always) static func log2(_ x: Float) -> Float { log2f(x) }
  @inline(__always) static func log10(_ x: Float) -> Float { log10f(x) }
  @inline(__always) static func log1p(_ x: Float) -> Float { log1pf(x) }
  @inline(__always) static func sin(_ x: Float) -> Float { sinf(x) }
  @inline(__always) static func cos(_ x: Float) -> Float { cosf(x) }
  @inline(__always) static func tan(_ x: Float) -> Float { tanf(x) }
  @inline(__always) static func asin(_ x: Float) -> Float { asinf(x) }
  @inline(__always) static func acos(_ x: Float) -> Float { acosf(x) }
  @inline(__always) static func atan(_ x: Float) -> Float { atanf(x) }
  @inline(__always) static func sinh(_ x: Float) -> Float { sinhf(x) }
  @inline(__always) static func cosh(_ x: Float) -> Float { coshf(x) }
  @inline(__always) static func tanh(_ x: Float) -> Float { tanhf(x) }
  @inline(__always) static func asinh(_ x: Float) -> Float { asinhf(x) }
  @inline(__always) static func acosh(_ x: Float) -> Float { acoshf(x) }
  @inline(__always) static func atanh(_ x: Float) -> Float { atanhf(x) }
  @inline(__always) static func atan2(_ y: Float, _ x: Float) -> Float { atan2f(y, x) }
  @inline(__always) static func hypot(_ x: Float, _ y: Float) -> Float { hypotf(x, y) }
}

/// Calls a generic function with the MathValue type of a numeric dtype.
protocol MathVisitor {
  associatedtype Result
  func visit<T: MathValue>(_ type: T.Type) -> Result
}

extension DType {
  /// The visitor's result for this numeric dtype (bool as UInt8); nil for other dtypes.
  func visitMath<V: MathVisitor>(_ visitor: V) -> V.Result? {
    switch self {
    case .bool, .uint8: visitor.visit(UInt8.self)
    case .int8: visitor.visit(Int8.self)
    case .int16: visitor.visit(Int16.self)
    case .int32: visitor.visit(Int32.self)
    case .int64: visitor.visit(Int64.self)
    case .uint16: visitor.visit(UInt16.self)
    case .uint32: visitor.visit(UInt32.self)
    case .uint64: visitor.visit(UInt64.self)
    case .float32: visitor.visit(Float.self)
    case .float64: visitor.visit(Double.self)
    default: nil
    }
  }
}

// MARK: - Kernels

/// A float function over a float32 or float64 operand.
struct FloatMath: VectorFunction {
  let fn: FloatFunction

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    if a.dtype == .float32 { run(Float.self, a, out) } else { run(Double.self, a, out) }
    return out.vec(a.dtype, valid: a.valid)
  }

  private func run<T: RealValue>(_: T.Type, _ a: Vec, _ out: Scratch) {
    let x = a.values.assumingMemoryBound(to: T.self), o = out.values.assumingMemoryBound(to: T.self)
    let n = out.count
    switch fn {
    case .sqrt: for i in 0..<n { o[i] = x[i].squareRoot() }
    case .cbrt: for i in 0..<n { o[i] = T.cbrt(x[i]) }
    case .exp: for i in 0..<n { o[i] = T.exp(x[i]) }
    case .expm1: for i in 0..<n { o[i] = T.expm1(x[i]) }
    case .log: for i in 0..<n { o[i] = T.log(x[i]) }
    case .log2: for i in 0..<n { o[i] = T.log2(x[i]) }
    case .log10: for i in 0..<n { o[i] = T.log10(x[i]) }
    case .log1p: for i in 0..<n { o[i] = T.log1p(x[i]) }
    case .sin: for i in 0..<n { o[i] = T.sin(x[i]) }
    case .cos: for i in 0..<n { o[i] = T.cos(x[i]) }
    case .tan: for i in 0..<n { o[i] = T.tan(x[i]) }
    case .arcsin: for i in 0..<n { o[i] = T.asin(x[i]) }
    case .arccos: for i in 0..<n { o[i] = T.acos(x[i]) }
    case .arctan: for i in 0..<n { o[i] = T.atan(x[i]) }
    case .sinh: for i in 0..<n { o[i] = T.sinh(x[i]) }
    case .cosh: for i in 0..<n { o[i] = T.cosh(x[i]) }
    case .tanh: for i in 0..<n { o[i] = T.tanh(x[i]) }
    case .arcsinh: for i in 0..<n { o[i] = T.asinh(x[i]) }
    case .arccosh: for i in 0..<n { o[i] = T.acosh(x[i]) }
    case .arctanh: for i in 0..<n { o[i] = T.atanh(x[i]) }
    case .deg2rad:
      let k = T.pi / 180
      for i in 0..<n { o[i] = x[i] * k }
    case .rad2deg:
      let k = 180 / T.pi
      for i in 0..<n { o[i] = x[i] * k }
    case .rint: for i in 0..<n { o[i] = x[i].rounded(.toNearestOrEven) }
    }
  }
}

/// Functions that keep their operand's dtype: abs and sign of any number, floor, ceil
/// and trunc of floats.
struct ElementMath: VectorFunction {
  enum Function: Sendable { case abs, sign, floor, ceil, trunc }
  let fn: Function

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0]
    struct Run: MathVisitor {
      let fn: Function, a: Vec, out: Scratch
      func visit<T: MathValue>(_: T.Type) {
        let x = a.values.assumingMemoryBound(to: T.self), o = out.values.assumingMemoryBound(to: T.self)
        let n = out.count
        switch fn {
        case .abs: for i in 0..<n { o[i] = T.absolute(x[i]) }
        case .sign: for i in 0..<n { o[i] = T.signum(x[i]) }
        case .floor, .ceil, .trunc:
          let rule: FloatingPointRoundingRule = fn == .floor ? .down : fn == .ceil ? .up : .towardZero
          if T.self == Double.self {
            let x = a.values.assumingMemoryBound(to: Double.self), o = out.values.assumingMemoryBound(to: Double.self)
            for i in 0..<n { o[i] = x[i].rounded(rule) }
          } else if T.self == Float.self {
            let x = a.values.assumingMemoryBound(to: Float.self), o = out.values.assumingMemoryBound(to: Float.self)
            for i in 0..<n { o[i] = x[i].rounded(rule) }
          } else {
            o.update(from: x, count: n)
          }
        }
      }
    }
    _ = a.dtype.visitMath(Run(fn: fn, a: a, out: out))
    return out.vec(a.dtype, valid: a.valid)
  }
}

/// isnan, isinf, isfinite (integers are never NaN nor infinite); missing stays missing.
struct FloatTest: VectorFunction {
  enum Test: Sendable { case nan, infinite, finite }
  let test: Test

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], n = out.count
    let o = out.values.assumingMemoryBound(to: UInt8.self)
    func run<T: BinaryFloatingPoint>(_: T.Type) {
      let x = a.values.assumingMemoryBound(to: T.self)
      switch test {
      case .nan: for i in 0..<n { o[i] = x[i].isNaN ? 1 : 0 }
      case .infinite: for i in 0..<n { o[i] = x[i].isInfinite ? 1 : 0 }
      case .finite: for i in 0..<n { o[i] = x[i].isFinite ? 1 : 0 }
      }
    }
    switch a.dtype {
    case .float64: run(Double.self)
    case .float32: run(Float.self)
    default: o.update(repeating: test == .finite ? 1 : 0, count: n)
    }
    return out.vec(.bool, valid: a.valid)
  }
}

/// Functions of two operands of one dtype: minimum and maximum (NaN wins, as numpy's),
/// fmod (C's remainder; 0 for integer division by zero), arctan2 and hypot (floats).
struct BinaryMath: VectorFunction {
  enum Function: String, Sendable { case minimum, maximum, fmod, arctan2, hypot }
  let fn: Function

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], b = args[1]
    struct Run: MathVisitor {
      let fn: Function, a: Vec, b: Vec, out: Scratch
      func visit<T: MathValue>(_: T.Type) {
        let x = a.values.assumingMemoryBound(to: T.self), y = b.values.assumingMemoryBound(to: T.self)
        let o = out.values.assumingMemoryBound(to: T.self)
        let n = out.count
        switch fn {
        case .minimum:
          for i in 0..<n { o[i] = x[i].isNaN ? x[i] : (y[i].isNaN ? y[i] : (x[i] < y[i] ? x[i] : y[i])) }
        case .maximum:
          for i in 0..<n { o[i] = x[i].isNaN ? x[i] : (y[i].isNaN ? y[i] : (x[i] > y[i] ? x[i] : y[i])) }
        case .fmod:
          for i in 0..<n { o[i] = T.fmodulo(x[i], y[i]) }
        case .arctan2, .hypot:
          if T.self == Double.self { real(Double.self) } else if T.self == Float.self { real(Float.self) }
        }
      }

      private func real<R: RealValue>(_: R.Type) {
        let x = a.values.assumingMemoryBound(to: R.self), y = b.values.assumingMemoryBound(to: R.self)
        let o = out.values.assumingMemoryBound(to: R.self)
        if fn == .hypot {
          for i in 0..<out.count { o[i] = R.hypot(x[i], y[i]) }
        } else {
          for i in 0..<out.count { o[i] = R.atan2(x[i], y[i]) }
        }
      }
    }
    _ = a.dtype.visitMath(Run(fn: fn, a: a, b: b, out: out))
    return out.vec(a.dtype, valid: out.validity([a.valid, b.valid]))
  }
}

/// numpy's round(x, decimals): x * 10^d (or x / 10^-d) rounded half to even and scaled
/// back, in the float dtype for floats and in float64 for integers (then cast back).
struct RoundDecimals: VectorFunction {
  let decimals: Int64

  /// numpy's power_of_ten: exact up to 1e8, then repeated multiplication by ten.
  static func powerOfTen(_ n: Int64) -> Double {
    let table: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8]
    if n < 9 { return table[Int(max(n, 0))] }
    var r = 1e9
    var k = min(n, 400)  // past 1e308 it is inf, and stays inf
    while k > 9 {
      r *= 10
      k -= 1
    }
    return r
  }

  func evaluate(_ args: [Vec], _ out: Scratch) throws(SFError) -> Vec {
    let a = args[0], n = out.count
    let up = decimals >= 0
    let f = RoundDecimals.powerOfTen(decimals >= 0 ? decimals : (decimals == .min ? .max : -decimals))
    func real<R: RealValue>(_: R.Type) {
      let x = a.values.assumingMemoryBound(to: R.self), o = out.values.assumingMemoryBound(to: R.self)
      let k = R(f)
      if up {
        for i in 0..<n { o[i] = (x[i] * k).rounded(.toNearestOrEven) / k }
      } else {
        for i in 0..<n { o[i] = (x[i] / k).rounded(.toNearestOrEven) * k }
      }
    }
    struct Integers: MathVisitor {
      let a: Vec, out: Scratch, f: Double
      func visit<T: MathValue>(_: T.Type) {
        let x = a.values.assumingMemoryBound(to: T.self), o = out.values.assumingMemoryBound(to: T.self)
        for i in 0..<out.count { o[i] = T.make(floating: (x[i].doubleValue / f).rounded(.toNearestOrEven) * f) }
      }
    }
    switch a.dtype {
    case .float64: real(Double.self)
    case .float32: real(Float.self)
    default: _ = a.dtype.visitMath(Integers(a: a, out: out, f: f))  // only decimals < 0 come here
    }
    return out.vec(a.dtype, valid: a.valid)
  }
}
