import FrameStorage

/// One typed value: a statistic's result or a constant of an expression. `bits`
/// holds the value as Int64 (signed and bool), UInt64 (unsigned) or Double bits.
public struct Scalar: Sendable, Equatable {
  public var dtype: DType
  public var bits: UInt64
  public var isNull: Bool

  public init(dtype: DType, bits: UInt64, isNull: Bool = false) {
    self.dtype = dtype
    self.bits = bits
    self.isNull = isNull
  }

  public static func null(_ dtype: DType) -> Scalar { Scalar(dtype: dtype, bits: 0, isNull: true) }
  public static func int64(_ v: Int64) -> Scalar { Scalar(dtype: .int64, bits: UInt64(bitPattern: v)) }
  public static func uint64(_ v: UInt64) -> Scalar { Scalar(dtype: .uint64, bits: v) }
  public static func float64(_ v: Double) -> Scalar { Scalar(dtype: .float64, bits: v.bitPattern) }

  /// The value of `v` as a scalar of its own dtype.
  public static func of<T: ColumnValue>(_ v: T, as dtype: DType = T.dtype) -> Scalar {
    if T.isFloatingPoint { return Scalar(dtype: dtype, bits: v.doubleValue.bitPattern) }
    if dtype.isUnsignedInteger || dtype == .bool { return Scalar(dtype: dtype, bits: v.converted(to: UInt64.self)) }
    return Scalar(dtype: dtype, bits: UInt64(bitPattern: v.converted(to: Int64.self)))
  }

  /// The value converted to `T` with numpy's casting rules.
  public func value<T: ColumnValue>(as: T.Type) -> T {
    if dtype.isFloat { return T.make(floating: Double(bitPattern: bits)) }
    if dtype.isUnsignedInteger || dtype == .bool { return T.make(integer: bits) }
    return T.make(integer: Int64(bitPattern: bits))
  }

  public var doubleValue: Double { value(as: Double.self) }
}
