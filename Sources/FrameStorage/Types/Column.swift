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
  /// String offsets (length + 1 of them from `offset`); nil for fixed-width types
  /// and for dictionary-encoded strings.
  public let offsets: UnsafeRawPointer?
  /// For a dictionary-encoded (categorical) string column: `values` holds integer
  /// indices into these strings, checked to be in range where present.
  public let dictionary: ColumnDictionary?

  public init(dtype: DType, length: Int, offset: Int = 0, values: UnsafeRawPointer,
              validity: UnsafePointer<UInt8>?, nullCount: Int, offsets: UnsafeRawPointer? = nil,
              dictionary: ColumnDictionary? = nil) {
    self.dtype = dtype
    self.offsets = offsets
    self.dictionary = dictionary
    self.length = length
    self.offset = offset
    self.values = values
    self.validity = nullCount > 0 ? validity : nil
    self.nullCount = nullCount
  }
}

/// The values of a dictionary-encoded column and the integer type of its indices.
public final class ColumnDictionary: @unchecked Sendable {
  public let values: ColumnChunk
  public let indexType: DType

  public init(values: ColumnChunk, indexType: DType) {
    self.values = values
    self.indexType = indexType
  }

  /// Whether `other` holds the very same values (the batches of a file share their
  /// dictionary's memory; their index types may differ).
  public func hasSameValues(as other: ColumnDictionary) -> Bool {
    values.values == other.values.values && values.offsets == other.values.offsets
      && values.length == other.values.length && values.offset == other.values.offset
  }
}

/// A named, typed column of a table's schema.
public struct Field: Sendable, Equatable {
  public let name: String
  public let dtype: DType
  public let nullable: Bool
  /// The time zone of a timestamp column (values are UTC either way); nil when naive.
  public let timezone: String?
  /// Whether the column is stored dictionary-encoded (a categorical).
  public let categorical: Bool

  public init(name: String, dtype: DType, nullable: Bool = true, timezone: String? = nil, categorical: Bool = false) {
    self.name = name
    self.dtype = dtype
    self.nullable = nullable
    self.timezone = timezone
    self.categorical = categorical
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
