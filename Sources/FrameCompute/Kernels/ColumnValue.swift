#if canImport(Glibc)
import Glibc
#endif
import FrameStorage

/// The Swift type of each numeric dtype, with numpy's semantics for the
/// operations that differ between integers (wrap-around, Python's floor division)
/// and floats (IEEE). Evaluated bools are UInt8 0/1 and use UInt8's conformance.
public protocol ColumnValue: Comparable, Sendable {
  static var dtype: DType { get }
  static var isFloatingPoint: Bool { get }
  static func make<I: FixedWidthInteger>(integer: I) -> Self
  /// C's conversion (what numpy's astype does): truncation toward zero; NaN and
  /// out-of-range values become the type's minimum.
  static func make(floating: Double) -> Self
  func converted<D: ColumnValue>(to: D.Type) -> D
  var doubleValue: Double { get }

  static func add(_ a: Self, _ b: Self) -> Self
  static func subtract(_ a: Self, _ b: Self) -> Self
  static func multiply(_ a: Self, _ b: Self) -> Self
  static func divide(_ a: Self, _ b: Self) -> Self
  static func floorDivide(_ a: Self, _ b: Self) -> Self
  static func modulo(_ a: Self, _ b: Self) -> Self
  /// Integer powers with a negative exponent return nil (numpy raises).
  static func power(_ a: Self, _ b: Self) -> Self?
  static func negate(_ a: Self) -> Self
  static func absolute(_ a: Self) -> Self
  var isNaN: Bool { get }
}

extension ColumnValue where Self: FixedWidthInteger {
  public static var isFloatingPoint: Bool { false }
  @inline(__always) public static func make<I: FixedWidthInteger>(integer: I) -> Self { Self(truncatingIfNeeded: integer) }
  @inline(__always) public static func make(floating d: Double) -> Self {
    if d > -9223372036854775809.0 && d < 9223372036854775808.0 { return Self(truncatingIfNeeded: Int64(d)) }
    if d >= 0 && d < 18446744073709551616.0 { return Self(truncatingIfNeeded: UInt64(d)) }
    return Self(truncatingIfNeeded: Int64.min)
  }
  @inline(__always) public func converted<D: ColumnValue>(to: D.Type) -> D { D.make(integer: self) }
  @inline(__always) public var doubleValue: Double { Double(self) }
  @inline(__always) public var isNaN: Bool { false }

  @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a &+ b }
  @inline(__always) public static func subtract(_ a: Self, _ b: Self) -> Self { a &- b }
  @inline(__always) public static func multiply(_ a: Self, _ b: Self) -> Self { a &* b }
  /// Unused: true division of integers is done in floating point.
  @inline(__always) public static func divide(_ a: Self, _ b: Self) -> Self { floorDivide(a, b) }
  @inline(__always) public static func floorDivide(_ a: Self, _ b: Self) -> Self {
    if b == 0 { return 0 }
    let (q, overflow) = a.dividedReportingOverflow(by: b)
    if overflow { return a }  // min // -1 wraps to min, as numpy does
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q &- 1 : q
  }
  @inline(__always) public static func modulo(_ a: Self, _ b: Self) -> Self {
    if b == 0 { return 0 }
    let (r, overflow) = a.remainderReportingOverflow(dividingBy: b)
    if overflow { return 0 }
    return (r != 0 && ((r < 0) != (b < 0))) ? r &+ b : r
  }
  @inline(__always) public static func power(_ a: Self, _ b: Self) -> Self? {
    if b < 0 { return nil }
    var result: Self = 1, base = a, e = b
    while e > 0 {
      if e & 1 == 1 { result = result &* base }
      base = base &* base
      e >>= 1
    }
    return result
  }
  @inline(__always) public static func negate(_ a: Self) -> Self { 0 &- a }
  @inline(__always) public static func absolute(_ a: Self) -> Self { a < 0 ? 0 &- a : a }
}

extension ColumnValue where Self: BinaryFloatingPoint {
  public static var isFloatingPoint: Bool { true }
  @inline(__always) public static func make<I: FixedWidthInteger>(integer: I) -> Self { Self(integer) }
  @inline(__always) public func converted<D: ColumnValue>(to: D.Type) -> D { D.make(floating: doubleValue) }

  @inline(__always) public static func add(_ a: Self, _ b: Self) -> Self { a + b }
  @inline(__always) public static func subtract(_ a: Self, _ b: Self) -> Self { a - b }
  @inline(__always) public static func multiply(_ a: Self, _ b: Self) -> Self { a * b }
  @inline(__always) public static func divide(_ a: Self, _ b: Self) -> Self { a / b }
  /// numpy's divmod for floats: the remainder takes the divisor's sign.
  @inline(__always) public static func modulo(_ a: Self, _ b: Self) -> Self {
    let m = a.truncatingRemainder(dividingBy: b)
    if b == 0 { return m }
    if m != 0 { return (b < 0) != (m < 0) ? m + b : m }
    return b < 0 ? -0.0 : 0.0
  }
  @inline(__always) public static func floorDivide(_ a: Self, _ b: Self) -> Self {
    if b == 0 { return a / b }
    var m = a.truncatingRemainder(dividingBy: b)
    var div = (a - m) / b
    if m != 0, (b < 0) != (m < 0) {
      m += b
      div -= 1
    }
    if div == 0 { return (a / b) < 0 ? -0.0 : 0.0 }
    var floored = div.rounded(.down)
    if div - floored > 0.5 { floored += 1 }
    return floored
  }
  @inline(__always) public static func negate(_ a: Self) -> Self { -a }
  @inline(__always) public static func absolute(_ a: Self) -> Self { Swift.abs(a) }
}

extension Int8: ColumnValue { public static var dtype: DType { .int8 } }
extension Int16: ColumnValue { public static var dtype: DType { .int16 } }
extension Int32: ColumnValue { public static var dtype: DType { .int32 } }
extension Int64: ColumnValue { public static var dtype: DType { .int64 } }
extension UInt8: ColumnValue { public static var dtype: DType { .uint8 } }
extension UInt16: ColumnValue { public static var dtype: DType { .uint16 } }
extension UInt32: ColumnValue { public static var dtype: DType { .uint32 } }
extension UInt64: ColumnValue { public static var dtype: DType { .uint64 } }

extension Float: ColumnValue {
  public static var dtype: DType { .float32 }
  @inline(__always) public static func make(floating d: Double) -> Float { Float(d) }
  @inline(__always) public var doubleValue: Double { Double(self) }
  @inline(__always) public static func power(_ a: Float, _ b: Float) -> Float? { powf(a, b) }
}

extension Double: ColumnValue {
  public static var dtype: DType { .float64 }
  @inline(__always) public static func make(floating d: Double) -> Double { d }
  @inline(__always) public var doubleValue: Double { self }
  @inline(__always) public static func power(_ a: Double, _ b: Double) -> Double? { pow(a, b) }
}

/// Calls a generic function with the Swift type of a dtype (bool as UInt8 0/1,
/// temporal types as their storage integers; strings throw a type error):
/// the one place where a runtime dtype becomes a compile-time type, so each
/// kernel is specialized per dtype instead of dispatching per element.
public protocol DTypeVisitor {
  associatedtype Result
  func visit<T: ColumnValue>(_ type: T.Type) throws(SFError) -> Result
}

extension DType {
  @inline(__always)
  public func visit<V: DTypeVisitor>(_ visitor: V) throws(SFError) -> V.Result {
    switch self {
    case .bool, .uint8: try visitor.visit(UInt8.self)
    case .int8: try visitor.visit(Int8.self)
    case .int16: try visitor.visit(Int16.self)
    case .int32: try visitor.visit(Int32.self)
    case .int64: try visitor.visit(Int64.self)
    case .uint16: try visitor.visit(UInt16.self)
    case .uint32: try visitor.visit(UInt32.self)
    case .uint64: try visitor.visit(UInt64.self)
    case .float32: try visitor.visit(Float.self)
    case .float64: try visitor.visit(Double.self)
    case .date32: try visitor.visit(Int32.self)
    case .timestampS, .timestampMS, .timestampUS, .timestampNS,
         .durationS, .durationMS, .durationUS, .durationNS: try visitor.visit(Int64.self)
    case .string, .largeString: throw SFError(.type, "this operation does not support strings yet")
    }
  }
}
