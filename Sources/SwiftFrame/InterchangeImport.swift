#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame

// Import: an Arrow C stream of struct arrays becomes a Table whose chunks point
// into the imported arrays (no copy). Each array is moved into an owner that
// calls its release callback when the table dies. Everything read from the
// structures is checked first: a malformed one is an error, never a crash.

/// Holds one imported ArrowArray (moved in) and releases it when the table dies.
final class ImportedArray {
  let array: UnsafeMutablePointer<ArrowArray>
  /// Aligned copies made for buffers the producer handed out misaligned.
  var copies: [UnsafeMutableRawPointer] = []

  init(moving source: UnsafeMutablePointer<ArrowArray>) {
    array = .allocate(capacity: 1)
    array.initialize(to: source.pointee)
    source.pointee.release = nil
    arrowLiveImports.add(1, ordering: .relaxed)
  }

  deinit {
    if let release = array.pointee.release { release(array) }
    array.deallocate()
    for p in copies { p.deallocate() }
    arrowLiveImports.subtract(1, ordering: .relaxed)
  }
}

/// Most children a struct may declare (a bound against garbage counts).
private let maxImportColumns = 1 << 20

private func text(_ p: UnsafePointer<CChar>?) -> String? {
  p.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) }
}

private func checkedSum(_ a: Int, _ b: Int, _ what: String) throws(SFError) -> Int {
  let (s, overflow) = a.addingReportingOverflow(b)
  guard !overflow else { throw .corrupt("Arrow import: \(what) overflows") }
  return s
}

/// One column of the imported schema: a dtype the engine computes with, or the
/// Arrow format of one it cannot (listed as unsupported, its data unused).
private struct ImportColumn {
  let name: String
  let dtype: DType?
  let format: String
  let nullable: Bool
  let timezone: String?
  /// For a dictionary-encoded (categorical) string column: the integer type of its indices.
  var indexType: DType? = nil
  /// Strings given as views (utf8_view, "vu": polars), copied into large_utf8 on import;
  /// for a categorical, its dictionary's strings.
  var views = false
}

private func importSchema(_ schema: ArrowSchema) throws(SFError) -> [ImportColumn] {
  guard let format = text(schema.format) else { throw .corrupt("Arrow import: the schema has no format") }
  guard format == "+s" else {
    throw .corrupt("Arrow import: a stream of record batches (struct arrays, format '+s') is expected, got format '\(format)'")
  }
  guard schema.n_children >= 0, schema.n_children <= maxImportColumns else {
    throw .corrupt("Arrow import: the schema has \(schema.n_children) children")
  }
  let n = Int(schema.n_children)
  guard n == 0 || schema.children != nil else { throw .corrupt("Arrow import: the schema's children are NULL") }
  var columns: [ImportColumn] = []
  var seen = Set<String>()
  for i in 0..<n {
    guard let child = schema.children[i] else { throw .corrupt("Arrow import: schema child \(i) is NULL") }
    let c = child.pointee
    guard let childFormat = text(c.format) else { throw .corrupt("Arrow import: schema child \(i) has no format") }
    let name = text(c.name) ?? ""
    guard seen.insert(name).inserted else { throw .argument("Arrow import: duplicate column name '\(name)'") }
    var dtype = c.dictionary == nil ? DType(arrowFormat: childFormat) : nil
    var views = childFormat == "vu" && c.dictionary == nil
    if views { dtype = .largeString }
    if dtype != nil && c.n_children != 0 { dtype = nil }
    var indexType: DType? = nil
    var format = childFormat
    if let d = c.dictionary {
      // A categorical: integer indices into strings (the only dictionaries the engine has).
      let valueFormat = text(d.pointee.format) ?? "?"
      format = "dictionary<values=\(valueFormat), indices=\(childFormat)>"
      let values = valueFormat == "vu" ? DType.largeString : DType(arrowFormat: valueFormat)
      if let index = DType(arrowFormat: childFormat), index.isInteger, c.n_children == 0,
         let values, values.isString, d.pointee.n_children == 0, d.pointee.dictionary == nil {
        dtype = values
        indexType = index
        views = valueFormat == "vu"
      }
    }
    columns.append(ImportColumn(name: name, dtype: dtype, format: format,
                                nullable: c.flags & Int64(ARROW_FLAG_NULLABLE) != 0,
                                timezone: DType.arrowTimezone(childFormat), indexType: indexType, views: views))
  }
  return columns
}

/// The chunk of one supported column in an imported batch, after checking the child array.
private func importChunk(_ child: ArrowArray, column: ImportColumn, dtype: DType, parentOffset: Int, length: Int,
                         owner: ImportedArray, index: Int, allowDictionary: Bool = false,
                         views: Bool = false) throws(SFError) -> ColumnChunk {
  let where_ = "column '\(column.name)' (\(column.format))"
  guard child.length >= 0, child.offset >= 0, child.null_count >= -1 else {
    throw .corrupt("Arrow import: \(where_) has length \(child.length), offset \(child.offset), null_count \(child.null_count)")
  }
  guard let layout = dtype.arrowLayout else { throw .corrupt("Arrow import: \(where_) has no layout") }
  let bufferCount = layout.bufferCount
  // Views: validity, views, the variadic data buffers, then their sizes.
  let buffersOK = views ? child.n_buffers >= 3 && child.n_buffers < 1 << 24 : child.n_buffers == Int64(bufferCount)
  guard buffersOK, child.n_children == 0, child.dictionary == nil || allowDictionary else {
    throw .corrupt("Arrow import: \(where_) has \(child.n_buffers) buffers and \(child.n_children) children, "
                   + "expected \(bufferCount) and 0")
  }
  guard child.release != nil else { throw .corrupt("Arrow import: \(where_) is released") }
  guard let buffers = child.buffers else { throw .corrupt("Arrow import: \(where_) has no buffer list") }
  let childLength = Int(child.length), childOffset = Int(child.offset)
  guard child.null_count <= child.length else {
    throw .corrupt("Arrow import: \(where_) has null_count \(child.null_count) > length \(child.length)")
  }
  // A batch-level offset slices every child.
  guard try checkedSum(parentOffset, length, "offset + length") <= childLength else {
    throw .corrupt("Arrow import: \(where_) has \(childLength) rows, the batch needs \(parentOffset + length)")
  }
  let first = try checkedSum(childOffset, parentOffset, "offset")
  let end = try checkedSum(childOffset, childLength, "offset + length")
  _ = try checkedSum(end, 8, "offset + length")
  // The C interface carries no buffer sizes: check at least that the rows named fit
  // in the address space after each buffer's start.
  let units = views ? [(0, 0), (1, 16)]
    : layout == .string ? [(0, 0), (1, dtype == .string ? 4 : 8)] : [(0, 0), (1, dtype == .bool ? 0 : dtype.byteWidth)]
  for (b, unit) in units {
    guard let start = buffers[b] else { continue }
    let (bytes, overflow) = unit == 0 ? ((end + 7) / 8, false) : end.multipliedReportingOverflow(by: unit)
    guard !overflow, UInt(bitPattern: Int(bitPattern: start)).addingReportingOverflow(UInt(bytes)).overflow == false else {
      throw .corrupt("Arrow import: \(where_) has offset + length \(end), beyond the address space of buffer \(b)")
    }
  }
  var validity: UnsafePointer<UInt8>? = nil
  var nulls = 0
  if let bitmap = buffers[0]?.assumingMemoryBound(to: UInt8.self), child.null_count != 0 {
    let declared = countUnsetBits(bitmap, offset: childOffset, count: childLength)
    guard child.null_count == -1 || Int(child.null_count) == declared else {
      throw .corrupt("Arrow import: \(where_) has null_count \(child.null_count) but its validity bitmap has \(declared) unset bits")
    }
    nulls = parentOffset == 0 && length == childLength ? declared : countUnsetBits(bitmap, offset: first, count: length)
    validity = bitmap
  } else if child.null_count > 0 {
    throw .corrupt("Arrow import: \(where_) has null_count \(child.null_count) but no validity bitmap")
  }
  if views {
    return try importStringViews(buffers, count: Int(child.n_buffers), where_: where_, first: first, length: length,
                                 validity: validity, nulls: nulls, owner: owner)
  }
  if layout == .string {
    return try importStrings(buffers, where_: where_, dtype: dtype, first: first, length: length, validity: validity,
                             nulls: nulls, owner: owner)
  }
  var values = buffers[1]
  if values == nil {
    guard length == 0 else { throw .corrupt("Arrow import: \(where_) has no values buffer") }
    values = UnsafeRawPointer(bitPattern: 64)
  }
  var offset = first
  var data = values!
  let width = dtype == .bool ? 1 : dtype.byteWidth
  if dtype != .bool && Int(bitPattern: data) % width != 0 {
    // Kernels load typed values: copy a misaligned buffer into an aligned one.
    let copy = UnsafeMutableRawPointer.allocate(byteCount: max(1, length * width), alignment: 64)
    copy.copyMemory(from: data + first * width, byteCount: length * width)
    owner.copies.append(copy)
    data = UnsafeRawPointer(copy)
    offset = 0
    if let bitmap = validity, first != 0 {
      let bits = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, (length + 7) / 8))
      let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, length))
      defer { bytes.deallocate() }
      for i in 0..<length { bytes[i] = (bitmap[(first + i) >> 3] >> UInt8((first + i) & 7)) & 1 }
      packBits(bytes, count: length, into: bits)
      owner.copies.append(UnsafeMutableRawPointer(bits))
      validity = UnsafePointer(bits)
    }
  }
  return ColumnChunk(dtype: dtype, length: length, offset: offset, values: data, validity: validity, nullCount: nulls)
}

/// A string chunk: offsets (int32 for utf8, int64 for large_utf8) checked to be
/// aligned, non-negative and monotone over the rows used; the bytes stay in place.
private func importStrings(_ buffers: UnsafeMutablePointer<UnsafeRawPointer?>, where_: String, dtype: DType, first: Int,
                           length: Int, validity: UnsafePointer<UInt8>?, nulls: Int,
                           owner: ImportedArray) throws(SFError) -> ColumnChunk {
  let wide = dtype == .largeString
  guard let offsets = buffers[1] else {
    guard length == 0 else { throw .corrupt("Arrow import: \(where_) has no offsets buffer") }
    return ColumnChunk(dtype: dtype, length: 0, values: UnsafeRawPointer(bitPattern: 64)!, validity: nil, nullCount: 0,
                       offsets: UnsafeRawPointer(bitPattern: 64)!)
  }
  guard Int(bitPattern: offsets) % (wide ? 8 : 4) == 0 else {
    throw .corrupt("Arrow import: \(where_) has a misaligned offsets buffer")
  }
  func at(_ i: Int) -> Int {
    wide ? Int(offsets.load(fromByteOffset: i * 8, as: Int64.self))
         : Int(offsets.load(fromByteOffset: i * 4, as: Int32.self))
  }
  var previous = at(first)
  guard previous >= 0 else { throw .corrupt("Arrow import: \(where_) has a negative string offset") }
  for i in (first + 1)..<(first + length + 1) {
    let o = at(i)
    guard o >= previous else { throw .corrupt("Arrow import: \(where_) has string offsets that decrease at row \(i - first)") }
    previous = o
  }
  var bytes = buffers[2]
  if bytes == nil {
    guard previous == at(first) else { throw .corrupt("Arrow import: \(where_) has no data buffer") }
    bytes = UnsafeRawPointer(bitPattern: 64)
  }
  guard UInt(bitPattern: Int(bitPattern: bytes!)).addingReportingOverflow(UInt(previous)).overflow == false else {
    throw .corrupt("Arrow import: \(where_) has string offsets beyond the address space")
  }
  return ColumnChunk(dtype: dtype, length: length, offset: first, values: bytes!, validity: validity, nullCount: nulls,
                     offsets: offsets)
}

/// A dictionary-encoded string chunk: the indices as an integer chunk, the dictionary
/// as a string chunk, every present index checked to point into the dictionary.
private func importCategorical(_ child: ArrowArray, column: ImportColumn, dtype: DType, indexType: DType,
                               parentOffset: Int, length: Int, owner: ImportedArray,
                               index: Int) throws(SFError) -> ColumnChunk {
  guard let dictionary = child.dictionary else {
    throw .corrupt("Arrow import: column '\(column.name)' is dictionary-encoded but a batch has no dictionary")
  }
  let d = dictionary.pointee
  guard d.release != nil else { throw .corrupt("Arrow import: column '\(column.name)' has a released dictionary") }
  let values = try importChunk(d, column: column, dtype: dtype, parentOffset: 0, length: Int(d.length), owner: owner,
                               index: index, views: column.views)
  let indices = try importChunk(child, column: column, dtype: indexType, parentOffset: parentOffset, length: length,
                                owner: owner, index: index, allowDictionary: true)
  struct Check: IndexVisitor {
    let chunk: ColumnChunk, limit: Int
    func visit<T: FixedWidthInteger>(_: T.Type) -> Bool {
      let p = chunk.values.assumingMemoryBound(to: T.self)
      var ok = true
      for i in chunk.offset..<(chunk.offset + chunk.length) {
        let present = chunk.validity.map { ($0[i >> 3] >> UInt8(i & 7)) & 1 == 1 } ?? true
        ok = ok && (!present || (p[i] >= 0 && UInt64(truncatingIfNeeded: p[i]) < UInt64(limit)))
      }
      return ok
    }
  }
  guard indexType.visitIndex(Check(chunk: indices, limit: values.length)) else {
    throw .corrupt("Arrow import: column '\(column.name)' has dictionary indices outside its \(values.length) values")
  }
  return ColumnChunk(dtype: dtype, length: indices.length, offset: indices.offset, values: indices.values,
                     validity: indices.validity, nullCount: indices.nullCount,
                     dictionary: ColumnDictionary(values: values, indexType: indexType))
}

/// Strings given as views (Arrow utf8_view: 16 bytes per row, the string inline when
/// at most 12 bytes, else a buffer index and offset) copied into a large_utf8 chunk.
/// Every view of a present row is checked against the sizes of the data buffers.
private func importStringViews(_ buffers: UnsafeMutablePointer<UnsafeRawPointer?>, count: Int, where_: String,
                               first: Int, length: Int, validity: UnsafePointer<UInt8>?, nulls: Int,
                               owner: ImportedArray) throws(SFError) -> ColumnChunk {
  let dataCount = count - 3
  guard let sizes = buffers[count - 1] ?? (dataCount == 0 ? UnsafeRawPointer(bitPattern: 64) : nil) else {
    throw .corrupt("Arrow import: \(where_) has no buffer sizes for its string views")
  }
  guard length == 0 || buffers[1] != nil else { throw .corrupt("Arrow import: \(where_) has no views buffer") }
  func present(_ i: Int) -> Bool { validity.map { ($0[(first + i) >> 3] >> UInt8((first + i) & 7)) & 1 == 1 } ?? true }
  // Pass 1: check every view and count the bytes.
  var total = 0
  for i in 0..<length where present(i) {
    let view = buffers[1]! + (first + i) * 16
    let n = Int(view.loadUnaligned(as: Int32.self))
    guard n >= 0 else { throw .corrupt("Arrow import: \(where_) has a negative string length at row \(i)") }
    if n > 12 {
      let b = Int(view.loadUnaligned(fromByteOffset: 8, as: Int32.self))
      let o = Int(view.loadUnaligned(fromByteOffset: 12, as: Int32.self))
      guard b >= 0, b < dataCount, o >= 0, buffers[2 + b] != nil,
            o + n <= Int(sizes.loadUnaligned(fromByteOffset: b * 8, as: Int64.self)) else {
        throw .corrupt("Arrow import: \(where_) has a string view outside its data buffers at row \(i)")
      }
    }
    total = try checkedSum(total, n, "string bytes")
  }
  // Pass 2: copy into offsets and bytes the table owns.
  let offsets = UnsafeMutablePointer<Int64>.allocate(capacity: length + 1)
  let bytes = UnsafeMutableRawPointer.allocate(byteCount: max(1, total), alignment: 64)
  owner.copies += [UnsafeMutableRawPointer(offsets), bytes]
  var at = 0
  offsets[0] = 0
  for i in 0..<length {
    if present(i) {
      let view = buffers[1]! + (first + i) * 16
      let n = Int(view.loadUnaligned(as: Int32.self))
      let source = n <= 12 ? view + 4
        : buffers[2 + Int(view.loadUnaligned(fromByteOffset: 8, as: Int32.self))]!
          + Int(view.loadUnaligned(fromByteOffset: 12, as: Int32.self))
      (bytes + at).copyMemory(from: source, byteCount: n)
      at += n
    }
    offsets[i + 1] = Int64(at)
  }
  var bits: UnsafePointer<UInt8>? = nil
  if nulls > 0 {
    let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, length))
    defer { flags.deallocate() }
    for i in 0..<length { flags[i] = present(i) ? 1 : 0 }
    let packed = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, (length + 7) / 8))
    packBits(flags, count: length, into: packed)
    owner.copies.append(UnsafeMutableRawPointer(packed))
    bits = UnsafePointer(packed)
  }
  return ColumnChunk(dtype: .largeString, length: length, offset: 0, values: UnsafeRawPointer(bytes), validity: bits,
                     nullCount: nulls, offsets: UnsafeRawPointer(offsets))
}

extension DataFrame {
  /// A frame over the batches of an Arrow C stream, without copying them. Takes
  /// ownership of `stream` (its release is NULL on return, whatever happens); the
  /// imported arrays are released when the frame and those derived from it die.
  public static func importArrow(stream source: UnsafeMutablePointer<ArrowArrayStream>) throws(SFError) -> DataFrame {
    guard source.pointee.release != nil else { throw .argument("Arrow import: the stream is already released") }
    let stream = UnsafeMutablePointer<ArrowArrayStream>.allocate(capacity: 1)
    stream.initialize(to: source.pointee)
    source.pointee.release = nil
    defer {
      if let release = stream.pointee.release { release(stream) }
      stream.deallocate()
    }
    guard let getSchema = stream.pointee.get_schema, let getNext = stream.pointee.get_next else {
      throw .corrupt("Arrow import: the stream has no get_schema or get_next callback")
    }
    func failure(_ code: Int32, _ what: String) -> SFError {
      let detail = stream.pointee.get_last_error.flatMap { text($0(stream)) } ?? String(cString: strerror(code))
      return SFError(code == ENOMEM ? .outOfMemory : .io, "Arrow import: \(what) failed (\(code)): \(detail)")
    }

    var schema = ArrowSchema()
    let status = getSchema(stream, &schema)
    guard status == 0 else { throw failure(status, "get_schema") }
    guard schema.release != nil else { throw .corrupt("Arrow import: get_schema returned a released schema") }
    let columns: [ImportColumn]
    do {
      columns = try importSchema(schema)
      schema.release(&schema)
    } catch {
      schema.release(&schema)
      throw error
    }

    var owners: [AnyObject] = []
    var batches: [RecordBatch] = []
    var rows = 0
    while true {
      var next = ArrowArray()
      let status = getNext(stream, &next)
      guard status == 0 else {
        if next.release != nil { next.release(&next) }
        throw failure(status, "get_next")
      }
      if next.release == nil { break }
      let owner = ImportedArray(moving: &next)
      let a = owner.array.pointee
      guard a.length >= 0, a.offset >= 0, a.n_buffers == 1, a.n_children == Int64(columns.count),
            a.null_count >= -1, a.dictionary == nil else {
        throw .corrupt("Arrow import: batch \(batches.count) is not a struct array of \(columns.count) columns "
                       + "(length \(a.length), offset \(a.offset), \(a.n_buffers) buffers, \(a.n_children) children)")
      }
      guard columns.isEmpty || a.children != nil else { throw .corrupt("Arrow import: batch \(batches.count) has no children") }
      let length = Int(a.length), offset = Int(a.offset)
      if a.null_count != 0, let bitmap = a.buffers?[0]?.assumingMemoryBound(to: UInt8.self) {
        guard try checkedSum(offset, length, "offset + length") < Int.max - 8,
              countUnsetBits(bitmap, offset: offset, count: length) == 0 else {
          throw .corrupt("Arrow import: batch \(batches.count) has rows that are null as a whole (struct validity)")
        }
      }
      rows = try checkedSum(rows, length, "row count")
      var chunks: [ColumnChunk] = []
      for (i, column) in columns.enumerated() {
        guard let child = a.children[i] else { throw .corrupt("Arrow import: batch \(batches.count) child \(i) is NULL") }
        guard let dtype = column.dtype else { continue }
        if let indexType = column.indexType {
          chunks.append(try importCategorical(child.pointee, column: column, dtype: dtype, indexType: indexType,
                                              parentOffset: offset, length: length, owner: owner, index: i))
        } else {
          chunks.append(try importChunk(child.pointee, column: column, dtype: dtype, parentOffset: offset,
                                        length: length, owner: owner, index: i, views: column.views))
        }
      }
      guard length > 0 else { continue }
      owners.append(owner)
      batches.append(RecordBatch(length: length, columns: chunks))
    }
    let fields = columns.compactMap { c in
      c.dtype.map { Field(name: c.name, dtype: $0, nullable: c.nullable, timezone: c.timezone,
                          categorical: c.indexType != nil) }
    }
    let unsupported = columns.filter { $0.dtype == nil }.map { (name: $0.name, arrowType: $0.format) }
    return DataFrame(table: Table(fields: fields, batches: batches, source: "<arrow>", unsupported: unsupported,
                                  owners: owners))
  }
}
