/// One contiguous piece of a column, laid out as an Arrow array: `values` and
/// `validity` are buffer starts and `offset` (in elements) applies to both, so a
/// value is at `values + (offset + i) * byteWidth`, or bit `offset + i` for bools.
/// Strings have `offsets` (int32 or int64 by dtype, `offset` applies) into the
/// bytes at `values`; the reader has checked them to be monotone and in bounds
/// when the batch was loaded. The memory is kept alive by the BatchData holding the chunk.
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

extension ColumnChunk {
  /// The memory holding rows `rows` (clamped to the chunk): validity bits, values (or
  /// dictionary indices), and for strings their offsets and bytes, as (start, count).
  public func byteRanges(_ rows: Range<Int>) -> [(UnsafeRawPointer, Int)] {
    let lo = offset + max(0, rows.lowerBound), hi = offset + min(length, rows.upperBound)
    guard hi > lo else { return [] }
    func bits(_ p: UnsafeRawPointer) -> (UnsafeRawPointer, Int) { (p + lo / 8, (hi + 7) / 8 - lo / 8) }
    var out: [(UnsafeRawPointer, Int)] = []
    if let validity { out.append(bits(UnsafeRawPointer(validity))) }
    if let dictionary {
      let w = dictionary.indexType.byteWidth
      out.append((values + lo * w, (hi - lo) * w))
    } else if let offsets {
      // Offsets were checked (monotone, inside the bytes) when the batch was loaded.
      let w = dtype.byteWidth
      out.append((offsets + lo * w, (hi - lo + 1) * w))
      let first = w == 4 ? Int(offsets.loadUnaligned(fromByteOffset: lo * 4, as: Int32.self))
                         : Int(offsets.loadUnaligned(fromByteOffset: lo * 8, as: Int64.self))
      let last = w == 4 ? Int(offsets.loadUnaligned(fromByteOffset: hi * 4, as: Int32.self))
                        : Int(offsets.loadUnaligned(fromByteOffset: hi * 8, as: Int64.self))
      if last > first { out.append((values + first, last - first)) }
    } else if dtype == .bool {
      out.append(bits(values))
    } else {
      out.append((values + lo * dtype.byteWidth, (hi - lo) * dtype.byteWidth))
    }
    return out
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

/// The loaded columns of one record batch (one chunk per field of the table, in
/// schema order) and the owners of their memory: whoever holds a BatchData may read
/// its chunks. A lazily loaded batch may be dropped and loaded again between passes,
/// so pointers into it must not outlive the BatchData they came from.
public final class BatchData: @unchecked Sendable {
  public let columns: [ColumnChunk]
  let owners: [AnyObject]

  public init(columns: [ColumnChunk], owners: [AnyObject] = []) {
    self.columns = columns
    self.owners = owners
  }
}

/// Loads a record batch's columns on first use: decompresses and fully checks them.
/// A failure is remembered, so that every pass over the batch fails the same way.
protocol BatchLoader: AnyObject, Sendable {
  func load() throws(SFError) -> BatchData
  /// The data, when it is loaded and kept for the life of the table.
  var resident: BatchData? { get }
}

/// A horizontal slice of a table: its length and what is known without reading its
/// values (the dictionaries of categorical columns); the chunks come from `load()`.
public struct RecordBatch: Sendable {
  public let length: Int
  /// Per field of the table: the dictionary of a categorical column (nil otherwise),
  /// known when the file is opened.
  public let dictionaries: [ColumnDictionary?]
  private let ready: BatchData?
  private let loader: (any BatchLoader)?

  /// A batch over chunks whose memory is ready (kept by the table's owners).
  public init(length: Int, columns: [ColumnChunk]) {
    self.length = length
    self.dictionaries = columns.map(\.dictionary)
    self.ready = BatchData(columns: columns)
    self.loader = nil
  }

  /// A batch whose columns `loader` produces on first use.
  init(length: Int, dictionaries: [ColumnDictionary?], loader: any BatchLoader) {
    self.length = length
    self.dictionaries = dictionaries
    self.ready = nil
    self.loader = loader
  }

  /// The batch's columns: loaded (decompressed, checked) on first use; an error of
  /// kind `.corrupt` names the batch and the column at fault.
  public func load() throws(SFError) -> BatchData {
    if let ready { return ready }
    guard let loader else { throw SFError(.corrupt, "a record batch without data") }
    return try loader.load()
  }

  /// The columns when they stay in memory for the table's life (so pointers into them
  /// may be handed out for as long as the table lives), else nil.
  public var resident: BatchData? {
    ready ?? loader?.resident
  }
}
