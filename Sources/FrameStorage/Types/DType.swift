/// Column and expression value types. Raw values are the SF_DTYPE_* codes of the C header.
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
  case bool = 1
  case int8, int16, int32, int64
  case uint8, uint16, uint32, uint64
  case float32, float64

  /// Bytes per value in memory. Stored Arrow bools are bit-packed; evaluated ones
  /// are one byte (0 or 1) per value.
  public var byteWidth: Int {
    switch self {
    case .bool, .int8, .uint8: 1
    case .int16, .uint16: 2
    case .int32, .uint32, .float32: 4
    case .int64, .uint64, .float64: 8
    }
  }

  public var isFloat: Bool { self == .float32 || self == .float64 }
  public var isSignedInteger: Bool { self == .int8 || self == .int16 || self == .int32 || self == .int64 }
  public var isUnsignedInteger: Bool { self == .uint8 || self == .uint16 || self == .uint32 || self == .uint64 }
  public var isInteger: Bool { isSignedInteger || isUnsignedInteger }

  /// numpy's name of the type.
  public var name: String {
    switch self {
    case .bool: "bool"
    case .int8: "int8"
    case .int16: "int16"
    case .int32: "int32"
    case .int64: "int64"
    case .uint8: "uint8"
    case .uint16: "uint16"
    case .uint32: "uint32"
    case .uint64: "uint64"
    case .float32: "float32"
    case .float64: "float64"
    }
  }

  public var description: String { name }

  public init?(name: String) {
    guard let t = DType.allCases.first(where: { $0.name == name }) else { return nil }
    self = t
  }
}
