/// Column and expression value types. Raw values are the SF_DTYPE_* codes of the C header.
/// Temporal types are stored as integers (Arrow's layouts: date32 in int32 days,
/// timestamps and durations in int64 units); strings as Arrow utf8 / large_utf8
/// (offsets and bytes).
public enum DType: Int32, Sendable, CaseIterable, CustomStringConvertible {
  case bool = 1
  case int8, int16, int32, int64
  case uint8, uint16, uint32, uint64
  case float32, float64
  case date32 = 12
  case timestampS, timestampMS, timestampUS, timestampNS
  case durationS, durationMS, durationUS, durationNS
  case string, largeString

  /// Bytes per value in memory: for strings, per offset. Stored Arrow bools are
  /// bit-packed; evaluated ones are one byte (0 or 1) per value.
  public var byteWidth: Int {
    switch self {
    case .bool, .int8, .uint8: 1
    case .int16, .uint16: 2
    case .int32, .uint32, .float32, .date32, .string: 4
    case .int64, .uint64, .float64, .timestampS, .timestampMS, .timestampUS, .timestampNS,
         .durationS, .durationMS, .durationUS, .durationNS, .largeString: 8
    }
  }

  public var isFloat: Bool { self == .float32 || self == .float64 }
  public var isSignedInteger: Bool { self == .int8 || self == .int16 || self == .int32 || self == .int64 }
  public var isUnsignedInteger: Bool { self == .uint8 || self == .uint16 || self == .uint32 || self == .uint64 }
  public var isInteger: Bool { isSignedInteger || isUnsignedInteger }
  /// bool, the integers and the floats: what arithmetic and math functions take.
  public var isNumeric: Bool { rawValue <= DType.float64.rawValue }
  public var isString: Bool { self == .string || self == .largeString }
  public var isTemporal: Bool { !isNumeric && !isString }

  /// The integer type a temporal value is stored in (nil for the others).
  public var storage: DType? {
    switch self {
    case .date32: .int32
    case .timestampS, .timestampMS, .timestampUS, .timestampNS,
         .durationS, .durationMS, .durationUS, .durationNS: .int64
    default: nil
    }
  }

  /// numpy's name of the type (strings: Arrow's).
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
    case .date32: "datetime64[D]"
    case .timestampS: "datetime64[s]"
    case .timestampMS: "datetime64[ms]"
    case .timestampUS: "datetime64[us]"
    case .timestampNS: "datetime64[ns]"
    case .durationS: "timedelta64[s]"
    case .durationMS: "timedelta64[ms]"
    case .durationUS: "timedelta64[us]"
    case .durationNS: "timedelta64[ns]"
    case .string: "string"
    case .largeString: "large_string"
    }
  }

  public var description: String { name }

  public init?(name: String) {
    guard let t = DType.allCases.first(where: { $0.name == name }) else { return nil }
    self = t
  }
}

/// Calls a generic function with the Swift integer type of an integer dtype: how
/// storage reads dictionary indices without knowing expressions.
public protocol IndexVisitor {
  func visit<T: FixedWidthInteger>(_ type: T.Type) -> Bool
}

extension DType {
  /// `visitor` applied to this integer dtype's Swift type; false for other dtypes.
  public func visitIndex<V: IndexVisitor>(_ visitor: V) -> Bool {
    switch self {
    case .int8: visitor.visit(Int8.self)
    case .int16: visitor.visit(Int16.self)
    case .int32: visitor.visit(Int32.self)
    case .int64: visitor.visit(Int64.self)
    case .uint8: visitor.visit(UInt8.self)
    case .uint16: visitor.visit(UInt16.self)
    case .uint32: visitor.visit(UInt32.self)
    case .uint64: visitor.visit(UInt64.self)
    default: false
    }
  }
}
