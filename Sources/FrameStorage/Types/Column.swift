/// One contiguous piece of a column, laid out as an Arrow array: `values` and
/// `validity` are buffer starts and `offset` (in elements) applies to both, so a
/// value is at `values + (offset + i) * byteWidth`, or bit `offset + i` for bools.
/// Strings have `offsets` (int32 or int64 by dtype, `offset` applies) into the
/// bytes at `values`; the reader has checked them to be monotone and in bounds.
/// The memory is kept alive by the Table that holds the chunk.
public struct ColumnChunk: @unchecked Sendable {
  public let dtype: DType
  public let length: Int
  public let offset: Int
  public let values: UnsafeRawPointer
  /// Arrow validity bitmap (bit set = present); nil when no value is missing.
  public let validity: UnsafePointer<UInt8>?
  public let nullCount: Int
  /// String offsets (length + 1 of them from `offset`); nil for fixed-width types.
  public let offsets: UnsafeRawPointer?

  public init(dtype: DType, length: Int, offset: Int = 0, values: UnsafeRawPointer,
              validity: UnsafePointer<UInt8>?, nullCount: Int, offsets: UnsafeRawPointer? = nil) {
    self.dtype = dtype
    self.offsets = offsets
    self.length = length
    self.offset = offset
    self.values = values
    self.validity = nullCount > 0 ? validity : nil
    self.nullCount = nullCount
  }
}

/// A named, typed column of a table's schema.
public struct Field: Sendable, Equatable {
  public let name: String
  public let dtype: DType
  public let nullable: Bool
  /// The time zone of a timestamp column (values are UTC either way); nil when naive.
  public let timezone: String?

  public init(name: String, dtype: DType, nullable: Bool = true, timezone: String? = nil) {
    self.name = name
    self.dtype = dtype
    self.nullable = nullable
    self.timezone = timezone
  }
}

/// A horizontal slice of a table: every column's chunk for the same rows.
public struct RecordBatch: Sendable {
  public let length: Int
  /// One chunk per field of the table, in schema order.
  public let columns: [ColumnChunk]

  public init(length: Int, columns: [ColumnChunk]) {
    self.length = length
    self.columns = columns
  }
}
