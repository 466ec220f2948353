/// An Arrow type as the IPC schema states it (Schema.fbs), decoded far enough to
/// know each field's buffer layout, so that fields the engine cannot compute with
/// yet are still stepped over correctly in a record batch.
indirect enum ArrowType: Equatable {
  case null
  case bool
  case int(bits: Int, signed: Bool)
  case float(bits: Int)
  /// Days since the epoch in an int32.
  case date32
  /// An int64 count of `unit` since the epoch; the time zone is metadata only.
  case timestamp(TimeUnit, timezone: String?)
  /// An int64 count of `unit`.
  case duration(TimeUnit)
  /// UTF-8 strings: validity, offsets (int32, or int64 when large), bytes.
  case utf8(large: Bool)
  /// Bytes: the same layout as utf8.
  case binary(large: Bool)
  /// A type with a validity bitmap and one fixed-width values buffer the engine
  /// does not interpret yet (decimals, times, intervals …), named as Arrow names it.
  case fixedWidth(String)
  /// utf8_view/binary_view: views plus a variadic number of data buffers.
  case binaryView(String)
  /// A nested type: its own buffers, then its children's.
  case nested(String, ownBuffers: Int, children: [ArrowField])

  var name: String {
    switch self {
    case .null: "null"
    case .bool: "bool"
    case .int(let bits, let signed): "\(signed ? "int" : "uint")\(bits)"
    case .float(let bits): bits == 16 ? "halffloat" : bits == 32 ? "float" : "double"
    case .date32: "date32[day]"
    case .timestamp(let unit, let tz): "timestamp[\(unit.suffix)\(tz.map { ", tz=\($0)" } ?? "")]"
    case .duration(let unit): "duration[\(unit.suffix)]"
    case .utf8(let large): large ? "large_string" : "string"
    case .binary(let large): large ? "large_binary" : "binary"
    case .fixedWidth(let n), .binaryView(let n), .nested(let n, _, _): n
    }
  }

  /// The engine's dtype for this type, when it computes with it.
  var dtype: DType? {
    switch self {
    case .bool: return .bool
    case .int(let bits, let signed):
      switch (bits, signed) {
      case (8, true): return .int8
      case (16, true): return .int16
      case (32, true): return .int32
      case (64, true): return .int64
      case (8, false): return .uint8
      case (16, false): return .uint16
      case (32, false): return .uint32
      default: return .uint64
      }
    case .float(32): return .float32
    case .float(64): return .float64
    case .date32: return .date32
    case .timestamp(let unit, _): return [.timestampS, .timestampMS, .timestampUS, .timestampNS][Int(unit.rawValue)]
    case .duration(let unit): return [.durationS, .durationMS, .durationUS, .durationNS][Int(unit.rawValue)]
    case .utf8(let large): return large ? .largeString : .string
    case .binaryView("utf8_view"): return .largeString  // gathered into large_utf8 when read
    default: return nil
    }
  }

  var timezone: String? {
    if case .timestamp(_, let tz) = self { return tz }
    return nil
  }
}

extension ArrowType {
  /// The Arrow type that stores values of `dtype` (`timezone` for timestamps).
  init?(_ dtype: DType, timezone: String? = nil) {
    let units: [TimeUnit] = [.second, .millisecond, .microsecond, .nanosecond]
    switch dtype {
    case .bool: self = .bool
    case .int8, .int16, .int32, .int64: self = .int(bits: dtype.byteWidth * 8, signed: true)
    case .uint8, .uint16, .uint32, .uint64: self = .int(bits: dtype.byteWidth * 8, signed: false)
    case .float32: self = .float(bits: 32)
    case .float64: self = .float(bits: 64)
    case .date32: self = .date32
    case .timestampS, .timestampMS, .timestampUS, .timestampNS:
      self = .timestamp(units[Int(dtype.rawValue - DType.timestampS.rawValue)], timezone: timezone)
    case .durationS, .durationMS, .durationUS, .durationNS:
      self = .duration(units[Int(dtype.rawValue - DType.durationS.rawValue)])
    case .string: self = .utf8(large: false)
    case .largeString: self = .utf8(large: true)
    }
  }
}

/// The unit of Arrow timestamps and durations (Schema.fbs TimeUnit).
enum TimeUnit: Int16, Equatable {
  case second = 0, millisecond, microsecond, nanosecond

  var suffix: String {
    switch self {
    case .second: "s"
    case .millisecond: "ms"
    case .microsecond: "us"
    case .nanosecond: "ns"
    }
  }
}

/// A field of an IPC schema. A dictionary-encoded field is stored in record
/// batches as its integer indices.
struct ArrowField: Equatable {
  let name: String
  let nullable: Bool
  let type: ArrowType
  let dictionaryIndex: ArrowType?
  /// The id of the dictionary batches holding this field's values.
  var dictionaryID: Int64 = 0

  /// The type whose layout the record batches hold for this field.
  var storedType: ArrowType { dictionaryIndex ?? type }

  /// The engine's dtype: the value type's, for dictionary-encoded strings too.
  var dtype: DType? {
    guard let t = type.dtype else { return nil }
    return dictionaryIndex == nil || t.isString ? t : nil
  }
}

/// The schema of an IPC file, with the metadata version that decides union layout.
struct ArrowSchema {
  let fields: [ArrowField]
  /// MetadataVersion: V1 = 0 … V5 = 4. Unions lost their validity bitmap in V5.
  let version: Int16
}

extension ArrowSchema {
  /// Nested types deeper than this are refused: a hostile schema cannot exhaust the stack.
  static let maxDepth = 64

  init(_ table: FBTable, version: Int16) throws(SFError) {
    // Schema: endianness (0), fields (1), custom_metadata (2), features (3).
    let endianness: Int16 = try table.scalar(0, default: 0)
    guard endianness == 0 else {
      throw SFError(.corrupt, "big-endian Arrow files are not supported")
    }
    var fields: [ArrowField] = []
    for f in try table.tables(1) { fields.append(try ArrowSchema.field(f, version: version, depth: 0)) }
    self.init(fields: fields, version: version)
  }

  private static func field(_ t: FBTable, version: Int16, depth: Int) throws(SFError) -> ArrowField {
    guard depth < maxDepth else { throw t.buffer.corrupt("fields nested more than \(maxDepth) levels deep") }
    // Field: name (0), nullable (1), type_type (2), type (3), dictionary (4), children (5).
    let name = try t.string(0) ?? ""
    var children: [ArrowField] = []
    for c in try t.tables(5) { children.append(try field(c, version: version, depth: depth + 1)) }
    let (tag, typeTable) = try t.union(2)
    let type = try arrowType(tag, typeTable, children: children, version: version, buffer: t.buffer)
    var index: ArrowType? = nil
    var id: Int64 = 0
    if let dictionary = try t.table(4) {
      id = try dictionary.scalar(0, default: Int64(0))
      // DictionaryEncoding: id (0), indexType (1), isOrdered (2). Indices default to int32.
      index = .int(bits: 32, signed: true)
      if let indexTable = try dictionary.table(1) {
        index = try intType(indexTable)
      }
    }
    return ArrowField(name: name, nullable: try t.bool(1), type: type, dictionaryIndex: index, dictionaryID: id)
  }

  private static func intType(_ t: FBTable) throws(SFError) -> ArrowType {
    // Int: bitWidth (0), is_signed (1).
    let bits: Int32 = try t.scalar(0, default: 0)
    guard [8, 16, 32, 64].contains(bits) else { throw t.buffer.corrupt("integer of \(bits) bits") }
    return .int(bits: Int(bits), signed: try t.bool(1))
  }

  /// Field 0 of Timestamp (default SECOND) and Duration (default MILLISECOND).
  private static func timeUnit(_ t: FBTable, default value: TimeUnit = .second) throws(SFError) -> TimeUnit {
    let raw: Int16 = try t.scalar(0, default: value.rawValue)
    guard let unit = TimeUnit(rawValue: raw) else { throw t.buffer.corrupt("time unit \(raw)") }
    return unit
  }

  private static func arrowType(_ tag: UInt8, _ t: FBTable?, children: [ArrowField], version: Int16,
                                buffer: FlatBuffer) throws(SFError) -> ArrowType {
    func table() throws(SFError) -> FBTable {
      guard let t else { throw buffer.corrupt("type tag \(tag) has no type table") }
      return t
    }
    func nested(_ name: String, _ own: Int, count: Int? = nil) throws(SFError) -> ArrowType {
      if let count, children.count != count {
        throw buffer.corrupt("\(name) needs \(count) child field(s), has \(children.count)")
      }
      return .nested(name, ownBuffers: own, children: children)
    }
    switch tag {
    case 1: return .null
    case 2: return try intType(table())
    case 3:
      // FloatingPoint: precision (0): HALF, SINGLE, DOUBLE.
      switch try table().scalar(0, default: Int16(0)) {
      case 0: return .float(bits: 16)
      case 1: return .float(bits: 32)
      case 2: return .float(bits: 64)
      case let p: throw buffer.corrupt("floating-point precision \(p)")
      }
    case 4: return .binary(large: false)
    case 5: return .utf8(large: false)
    case 6: return .bool
    case 7: return .fixedWidth("decimal")
    case 8:
      // Date: unit (0): DAY (int32), MILLISECOND (int64).
      return try table().scalar(0, default: Int16(1)) == 0 ? .date32 : .fixedWidth("date64[ms]")
    case 9: return .fixedWidth("time")
    case 10:
      // Timestamp: unit (0), timezone (1).
      let t = try table()
      return .timestamp(try timeUnit(t), timezone: try t.string(1))
    case 11: return .fixedWidth("interval")
    case 12: return try nested("list", 2, count: 1)
    case 13: return try nested("struct", 1)
    case 14:
      // Union: mode (0): Sparse (types) or Dense (types, offsets); before V5 also validity.
      let dense = try table().scalar(0, default: Int16(0)) == 1
      return try nested(dense ? "dense_union" : "sparse_union", (dense ? 2 : 1) + (version < 4 ? 1 : 0))
    case 15: return .fixedWidth("fixed_size_binary")
    case 16: return try nested("fixed_size_list", 1, count: 1)
    case 17: return try nested("map", 2, count: 1)
    case 18: return .duration(try timeUnit(table(), default: .millisecond))
    case 19: return .binary(large: true)
    case 20: return .utf8(large: true)
    case 21: return try nested("large_list", 2, count: 1)
    case 22: return try nested("run_end_encoded", 0, count: 2)
    case 23: return .binaryView("binary_view")
    case 24: return .binaryView("utf8_view")
    case 25: return try nested("list_view", 3, count: 1)
    case 26: return try nested("large_list_view", 3, count: 1)
    default: throw buffer.corrupt("unknown type tag \(tag)")
    }
  }
}
