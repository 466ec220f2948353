import CHDF5
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens HDF5 files in vaex's layouts through libhdf5:
///
/// - vaex 2+ (`/table/columns/NAME/data`, with an optional `mask` dataset, 1 = missing,
///   or an Arrow validity bitmap `null_bitmap`, bit set = present),
/// - older vaex (`/data/NAME` datasets), and datasets at the root (vaex's "version 1").
///
/// Column order follows the `column_order` attribute (comma-separated) of the columns
/// group when there is one, then HDF5's own order; an `alias` attribute renames a column.
/// Contiguous, unfiltered little-endian datasets whose bytes lie inside the file and are
/// aligned to their width are memory-mapped in place (no data is read); chunked,
/// compressed, big-endian or misaligned ones are read into memory with `H5Dread`. Bools
/// and masks become bit-packed Arrow bitmaps in memory. vaex's datetime64 / timedelta64
/// columns (int64 data with a `dtype` attribute) become timestamps / durations of their
/// unit; vaex's string columns (bytes, int32 or int64 offsets, a null bitmap) become
/// Arrow strings, and its dictionary-encoded string columns categoricals. Datasets of other
/// types or shapes are listed in `Table.unsupported` with a type name, so the rest of the
/// file still opens.
/// libhdf5 is used only while opening, under one lock; no handle stays open.
public enum HDF5Reader {
  /// The HDF5 signature, at offset 0 or at a user-block size (512, 1024, 2048, …).
  static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

  /// Whether `bytes` carries the HDF5 signature where libhdf5 looks for it.
  static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset <= bytes.count - signature.count {
      if signature.indices.allSatisfy({ bytes[offset + $0] == signature[$0] }) { return true }
      offset = offset == 0 ? 512 : offset * 2
    }
    return false
  }

  public static func open(path: String) throws(SFError) -> Table {
    try read(try MappedFile(path: path))
  }

  static func read(_ file: MappedFile) throws(SFError) -> Table {
    do {
      return try HDF5Library.withLock { () throws(SFError) -> Table in
        try HDF5Probe.check(file) { () throws(SFError) in
          var probe = HDF5Loader(file: file)
          _ = try probe.load()
        }
        var loader = HDF5Loader(file: file)
        return try loader.load()
      }
    } catch {
      throw SFError(error.code, "'\(file.path)': \(error.message)")
    }
  }
}

/// One open: walks the columns group and builds the table. Runs with the library lock held.
struct HDF5Loader {
  let file: MappedFile
  private var columns: [(field: Field, chunk: ColumnChunk)] = []
  private var unsupported: [(name: String, arrowType: String)] = []
  private var owners: [AnyObject] = []
  private var usesMapping = false
  private var length: (rows: Int, column: String)?

  /// Elements per H5Dread of a bool or mask dataset read in slabs.
  static let slabElements = 1 << 20
  /// A dataset read into memory may claim at most this many bytes per stored byte (deflate
  /// tops out near 1032:1); beyond it, and past 1 GiB, it is refused rather than allocated.
  static let maxExpansion = 1100

  init(file: MappedFile) {
    self.file = file
  }

  mutating func load() throws(SFError) -> Table {
    let h5 = try H5Object(H5Fopen(file.path, sfh5_f_acc_rdonly(), sfh5_p_default()), H5Fclose,
                          or: .corrupt("not a readable HDF5 file"))
    // libhdf5 opened the path again: make sure it is still the file that was mapped.
    try file.checkUnchanged()
    let root = try H5Object(H5Oopen(h5.id, "/", sfh5_p_default()), H5Oclose, or: .corrupt("cannot open the root group"))
    let group: H5Object
    if try exists(root, "table") {
      let table = try openObject(root, "table", "/table")
      guard H5Iget_type(table.id) == H5I_GROUP else { throw .corrupt("/table is not a group") }
      guard try exists(table, "columns") else {
        throw .corrupt("/table has no 'columns' group (not a table written by vaex)")
      }
      group = try openObject(table, "columns", "/table/columns")
      guard H5Iget_type(group.id) == H5I_GROUP else { throw .corrupt("/table/columns is not a group") }
    } else if try exists(root, "data"), let data = try? openObject(root, "data", "/data"),
              H5Iget_type(data.id) == H5I_GROUP {
      group = data
    } else if try hasDataset(root) {
      group = root
    } else {
      throw .corrupt("an HDF5 file without a vaex table: expected a /table/columns group (vaex 2 and later), "
                     + "a /data group (older vaex) or datasets at the root")
    }
    // Variable-length strings (attributes) live in global heap collections, which this
    // libhdf5 parses unsafely: check them all first, skipping the column data.
    var extents: [Range<Int>] = []
    try collectExtents(group, depth: 0, into: &extents)
    try GlobalHeapCheck.check(file.bytes, skipping: HDF5Loader.merged(extents))
    for name in try memberNames(group) {
      try addColumn(group, name)
    }
    try orderColumns(group)
    var seen = Set<String>()
    for name in columns.map(\.field.name) + unsupported.map(\.name) where !seen.insert(name).inserted {
      throw .corrupt("two columns are named '\(name)'")
    }
    let rows = length?.rows ?? 0
    let batches = rows == 0 || columns.isEmpty ? [] : [RecordBatch(length: rows, columns: columns.map(\.chunk))]
    return Table(fields: columns.map(\.field), batches: batches, source: file.path, unsupported: unsupported,
                 owners: owners, files: usesMapping ? [file] : [])
  }

  // MARK: Groups and names

  /// The file byte ranges of the contiguous datasets in `group` and its subgroups (a column's
  /// data, mask, bitmap, indices, dictionary), read without touching any attribute.
  private func collectExtents(_ group: H5Object, depth: Int, into extents: inout [Range<Int>]) throws(SFError) {
    guard depth < 4 else { return }
    for name in try memberNames(group) {
      guard let object = try? openObject(group, name, name) else { continue }
      let type = H5Iget_type(object.id)
      if type == H5I_GROUP {
        try collectExtents(object, depth: depth + 1, into: &extents)
      } else if type == H5I_DATASET, let plist = try? H5Object(H5Dget_create_plist(object.id), H5Pclose, or: .corrupt("")),
                H5Pget_layout(plist.id) == H5D_CONTIGUOUS {
        let offset = UInt64(H5Dget_offset(object.id)), stored = H5Dget_storage_size(object.id)
        let size = UInt64(file.bytes.count)
        guard offset != UInt64(sfh5_haddr_undef()), offset < size else { continue }
        extents.append(Int(offset)..<Int(offset + min(stored, size - offset)))
      }
    }
  }

  /// Sorted, non-overlapping ranges covering `ranges`.
  static func merged(_ ranges: [Range<Int>]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
      if let last = out.last, r.lowerBound <= last.upperBound {
        out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
      } else {
        out.append(r)
      }
    }
    return out
  }

  private func exists(_ parent: H5Object, _ name: String) throws(SFError) -> Bool {
    let found = H5Lexists(parent.id, name, sfh5_p_default())
    guard found >= 0 else { throw .corrupt("cannot look up '\(name)'" + HDF5Library.reason()) }
    return found > 0
  }

  private func openObject(_ parent: H5Object, _ name: String, _ what: String) throws(SFError) -> H5Object {
    try H5Object(H5Oopen(parent.id, name, sfh5_p_default()), H5Oclose, or: .corrupt("cannot open \(what)"))
  }

  private func hasDataset(_ group: H5Object) throws(SFError) -> Bool {
    for name in try memberNames(group) {
      if let object = try? openObject(group, name, name), H5Iget_type(object.id) == H5I_DATASET { return true }
    }
    return false
  }

  /// The group's link names in h5py's order: creation order when the group indexes it,
  /// else by name.
  private func memberNames(_ group: H5Object) throws(SFError) -> [String] {
    var info = H5G_info_t()
    guard H5Gget_info(group.id, &info) >= 0 else { throw .corrupt("cannot list a group" + HDF5Library.reason()) }
    guard info.nlinks <= 1 << 24 else { throw .corrupt("a group claims \(info.nlinks) members") }
    var index = H5_INDEX_NAME
    if let plist = try? H5Object(H5Gget_create_plist(group.id), H5Pclose, or: .corrupt("")) {
      var flags: UInt32 = 0
      if H5Pget_link_creation_order(plist.id, &flags) >= 0, flags & sfh5_p_crt_order_indexed() != 0 {
        index = H5_INDEX_CRT_ORDER
      }
    }
    var names: [String] = []
    for i in 0..<info.nlinks {
      let size = H5Lget_name_by_idx(group.id, ".", index, H5_ITER_INC, i, nil, 0, sfh5_p_default())
      guard size >= 0, size < 1 << 20 else { throw .corrupt("cannot read the name of member \(i) of a group" + HDF5Library.reason()) }
      var buffer = [CChar](repeating: 0, count: Int(size) + 1)
      guard H5Lget_name_by_idx(group.id, ".", index, H5_ITER_INC, i, &buffer, buffer.count, sfh5_p_default()) >= 0 else {
        throw .corrupt("cannot read the name of member \(i) of a group" + HDF5Library.reason())
      }
      names.append(String(decoding: buffer.prefix(Int(size)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return names
  }

  /// A string attribute (variable or fixed length, as h5py writes a Python str or bytes),
  /// or nil when there is none or it is not a single string.
  private func stringAttribute(_ object: H5Object, _ name: String) throws(SFError) -> String? {
    let found = H5Aexists(object.id, name)
    guard found > 0 else {
      if found < 0 { throw .corrupt("cannot look up attribute '\(name)'" + HDF5Library.reason()) }
      return nil
    }
    let attribute = try H5Object(H5Aopen(object.id, name, sfh5_p_default()), H5Aclose,
                                 or: .corrupt("cannot open attribute '\(name)'"))
    let type = try H5Object(H5Aget_type(attribute.id), H5Tclose, or: .corrupt("cannot read the type of attribute '\(name)'"))
    let space = try H5Object(H5Aget_space(attribute.id), H5Sclose, or: .corrupt("cannot read the shape of attribute '\(name)'"))
    guard H5Tget_class(type.id) == H5T_STRING, H5Sget_simple_extent_npoints(space.id) == 1 else { return nil }
    let memory = try H5Object(H5Tcopy(sfh5_t_c_s1()), H5Tclose, or: .corrupt("cannot make a string type"))
    _ = H5Tset_cset(memory.id, H5Tget_cset(type.id))
    if H5Tis_variable_str(type.id) > 0 {
      _ = H5Tset_size(memory.id, sfh5_t_variable())
      var text: UnsafeMutablePointer<CChar>? = nil
      guard H5Aread(attribute.id, memory.id, &text) >= 0 else {
        throw .corrupt("cannot read attribute '\(name)'" + HDF5Library.reason())
      }
      guard let text else { return "" }
      defer { H5free_memory(text) }
      return String(cString: text)
    }
    let size = H5Tget_size(type.id)
    guard size > 0, size <= 1 << 24 else { throw .corrupt("attribute '\(name)' claims a string of \(size) bytes") }
    _ = H5Tset_size(memory.id, size)
    _ = H5Tset_strpad(memory.id, H5T_STR_NULLPAD)
    var buffer = [UInt8](repeating: 0, count: size)
    guard H5Aread(attribute.id, memory.id, &buffer) >= 0 else {
      throw .corrupt("cannot read attribute '\(name)'" + HDF5Library.reason())
    }
    return String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
  }

  // MARK: Columns

  /// One member of the columns group: a vaex column group (`data`, `mask`, `null_bitmap`)
  /// or, in the older layout, a dataset.
  private mutating func addColumn(_ group: H5Object, _ member: String) throws(SFError) {
    let object = try openObject(group, member, "column '\(member)'")
    let name = try stringAttribute(object, "alias") ?? member
    switch H5Iget_type(object.id) {
    case H5I_DATASET:
      var temporal: DType?
      if let special = try stringAttribute(object, "dtype") {
        guard let t = HDF5Loader.temporal(special) else {
          unsupported.append((name, special == "str" ? "string" : special))
          return
        }
        temporal = t
      }
      try addDataset(object, name: name, mask: nil, nullBitmap: nil, as: temporal)
    case H5I_GROUP:
      if let kind = try stringAttribute(object, "type") {
        if kind == "dictionary_encoded" {
          try addDictionary(object, name: name)
        } else {
          unsupported.append((name, kind))
        }
        return
      }
      guard try exists(object, "data") else {
        unsupported.append((name, "group without a 'data' dataset"))
        return
      }
      let data = try openDataset(object, "data", "column '\(name)'")
      var temporal: DType?
      if let special = try stringAttribute(data, "dtype") {
        if special == "str" {
          try addStrings(object, data, name: name)
          return
        }
        guard let t = HDF5Loader.temporal(special) else {
          unsupported.append((name, special == "str" ? "string" : special))
          return
        }
        temporal = t
      }
      var mask: H5Object?, bitmap: H5Object?
      if try exists(object, "mask") {
        mask = try openDataset(object, "mask", "the mask of column '\(name)'")
      } else if try exists(object, "null_bitmap") {
        bitmap = try openDataset(object, "null_bitmap", "the null bitmap of column '\(name)'")
      }
      try addDataset(data, name: name, mask: mask, nullBitmap: bitmap, as: temporal)
    default:
      return  // a committed datatype or other non-column object
    }
  }

  private func openDataset(_ parent: H5Object, _ name: String, _ what: String) throws(SFError) -> H5Object {
    let object = try H5Object(H5Oopen(parent.id, name, sfh5_p_default()), H5Oclose, or: .corrupt("cannot open \(what)"))
    guard H5Iget_type(object.id) == H5I_DATASET else { throw .corrupt("\(what) is not a dataset") }
    return object
  }

  /// What a dataset holds, as the engine sees it.
  struct Shape {
    var length: Int
    var dtype: DType
    /// Exactly the little-endian standard type of `dtype` (or a 1-byte type): its bytes can be used in place.
    var inPlace: Bool
    var fileType: H5Object
  }

  /// The dataset's length and dtype, or the name of a type or shape the engine lacks.
  private func describe(_ dataset: H5Object, _ what: String) throws(SFError) -> Result<Shape, UnsupportedType> {
    let type = try H5Object(H5Dget_type(dataset.id), H5Tclose, or: .corrupt("cannot read the type of \(what)"))
    let space = try H5Object(H5Dget_space(dataset.id), H5Sclose, or: .corrupt("cannot read the shape of \(what)"))
    let size = H5Tget_size(type.id)
    guard size > 0 else { throw .corrupt("cannot read the type of \(what)" + HDF5Library.reason()) }
    var dtype: DType?
    var typeName: String
    var standard: hid_t?
    switch H5Tget_class(type.id) {
    case H5T_INTEGER:
      let signed = H5Tget_sign(type.id) != H5T_SGN_NONE
      typeName = "\(signed ? "int" : "uint")\(size * 8)"
      switch (size, signed) {
      case (1, true): dtype = .int8; standard = sfh5_t_std_i8le()
      case (2, true): dtype = .int16; standard = sfh5_t_std_i16le()
      case (4, true): dtype = .int32; standard = sfh5_t_std_i32le()
      case (8, true): dtype = .int64; standard = sfh5_t_std_i64le()
      case (1, false): dtype = .uint8; standard = sfh5_t_std_u8le()
      case (2, false): dtype = .uint16; standard = sfh5_t_std_u16le()
      case (4, false): dtype = .uint32; standard = sfh5_t_std_u32le()
      case (8, false): dtype = .uint64; standard = sfh5_t_std_u64le()
      default: break
      }
    case H5T_FLOAT:
      typeName = "float\(size * 8)"
      if size == 4 { dtype = .float32; standard = sfh5_t_ieee_f32le() }
      if size == 8 { dtype = .float64; standard = sfh5_t_ieee_f64le() }
    case H5T_ENUM:
      typeName = "enum"
      if try isBoolEnum(type) { dtype = .bool }
    case H5T_STRING: typeName = "string"
    case H5T_COMPOUND: typeName = "compound"
    case H5T_BITFIELD: typeName = "bitfield"
    case H5T_OPAQUE: typeName = "opaque"
    case H5T_REFERENCE: typeName = "reference"
    case H5T_VLEN: typeName = "vlen"
    case H5T_ARRAY: typeName = "array"
    case H5T_TIME: typeName = "time"
    default: typeName = "unknown HDF5 type"
    }
    let rank = H5Sget_simple_extent_ndims(space.id)
    guard rank >= 0 else { throw .corrupt("cannot read the shape of \(what)" + HDF5Library.reason()) }
    guard rank == 1 else {
      return .failure(UnsupportedType(name: rank == 0 ? "\(typeName) scalar" : "\(typeName) with \(rank) dimensions"))
    }
    guard let dtype else { return .failure(UnsupportedType(name: typeName)) }
    var dims: hsize_t = 0
    guard H5Sget_simple_extent_dims(space.id, &dims, nil) == 1 else {
      throw .corrupt("cannot read the shape of \(what)" + HDF5Library.reason())
    }
    guard dims <= hsize_t(Int.max / 16) else { throw .corrupt("\(what) claims \(dims) rows") }
    var inPlace = size == 1
    if let standard, !inPlace { inPlace = H5Tequal(type.id, standard) > 0 }
    return .success(Shape(length: Int(dims), dtype: dtype, inPlace: inPlace, fileType: type))
  }

  struct UnsupportedType: Error { let name: String }

  /// h5py's bool: a 1-byte enum of FALSE = 0 and TRUE = 1.
  private func isBoolEnum(_ type: H5Object) throws(SFError) -> Bool {
    guard H5Tget_size(type.id) == 1, H5Tget_nmembers(type.id) == 2 else { return false }
    for (i, expected) in ["FALSE", "TRUE"].enumerated() {
      guard let raw = H5Tget_member_name(type.id, UInt32(i)) else { return false }
      let name = String(cString: raw)
      H5free_memory(raw)
      var value: Int8 = -1
      guard H5Tget_member_value(type.id, UInt32(i), &value) >= 0, name == expected, Int(value) == i else { return false }
    }
    return true
  }

  /// vaex's `dtype` attribute of a datetime64 / timedelta64 column stored as int64
  /// ("datetime64[ns]"): the engine's timestamp or duration type of that unit.
  static func temporal(_ name: String) -> DType? {
    guard let t = DType(name: name), t.storage == .int64 else { return nil }
    return t
  }

  /// Adds a column from its data dataset; `temporal` is the type of int64 data that
  /// vaex marked as datetime64 or timedelta64.
  private mutating func addDataset(_ data: H5Object, name: String, mask: H5Object?, nullBitmap: H5Object?,
                                   as temporal: DType? = nil) throws(SFError) {
    let what = "column '\(name)'"
    let shape: Shape
    switch try describe(data, what) {
    case .success(let s): shape = s
    case .failure(let u): unsupported.append((name, temporal.map { "\($0.name) stored as \(u.name)" } ?? u.name)); return
    }
    if let temporal, shape.dtype != .int64 {
      unsupported.append((name, "\(temporal.name) stored as \(shape.dtype)"))
      return
    }
    let dtype = temporal ?? shape.dtype
    if let length, length.rows != shape.length {
      throw .corrupt("columns differ in length: '\(length.column)' has \(length.rows) rows, '\(name)' has \(shape.length)")
    }
    length = (shape.length, name)
    let rows = shape.length
    let values: UnsafeRawPointer
    if shape.dtype == .bool {
      if mappedBytes(data, shape, width: 1) == nil { try checkExpansion(data, rows, what) }
      let bits = try OwnedBytes(count: (rows + 7) / 8, for: what)
      let out = bits.pointer.assumingMemoryBound(to: UInt8.self)
      try forEachSlab(data, shape, what) { bytes, start in packBits(bytes, into: out, at: start, set: { $0 != 0 }) }
      owners.append(bits)
      values = UnsafeRawPointer(bits.pointer)
    } else {
      values = try columnBytes(data, shape, what)
    }
    var validity: UnsafePointer<UInt8>? = nil
    var nullCount = 0
    if let mask {
      (validity, nullCount) = try maskValidity(mask, rows: rows, column: name)
    } else if let nullBitmap {
      (validity, nullCount) = try bitmapValidity(nullBitmap, rows: rows, of: what)
    }
    columns.append((Field(name: name, dtype: dtype, nullable: validity != nil),
                    ColumnChunk(dtype: dtype, length: rows, values: values, validity: validity, nullCount: nullCount)))
  }

  /// vaex's string column: `data` (the UTF-8 bytes, one-byte elements), `indices` (n + 1
  /// int32 or int64 offsets into them) and an optional `null_bitmap`, which are Arrow's
  /// string / large_string buffers. The offsets are checked once, as the Arrow reader
  /// checks them: from 0 or more, never decreasing, ending inside the bytes.
  private mutating func addStrings(_ group: H5Object, _ data: H5Object, name: String) throws(SFError) {
    let chunk = try stringChunk(group, data, what: "column '\(name)'")
    try claimLength(chunk.length, name)
    columns.append((Field(name: name, dtype: chunk.dtype, nullable: chunk.validity != nil), chunk))
  }

  /// All columns have one length: the first sets it, the others must match.
  private mutating func claimLength(_ rows: Int, _ name: String) throws(SFError) {
    if let length, length.rows != rows {
      throw .corrupt("columns differ in length: '\(length.column)' has \(length.rows) rows, '\(name)' has \(rows)")
    }
    length = (rows, name)
  }

  private mutating func stringChunk(_ group: H5Object, _ data: H5Object, what: String) throws(SFError) -> ColumnChunk {
    let type = try H5Object(H5Dget_type(data.id), H5Tclose, or: .corrupt("cannot read the type of \(what)"))
    let space = try H5Object(H5Dget_space(data.id), H5Sclose, or: .corrupt("cannot read the shape of \(what)"))
    let cls = H5Tget_class(type.id)
    var byteCount: hsize_t = 0
    guard (cls == H5T_STRING || cls == H5T_INTEGER), H5Tget_size(type.id) == 1, H5Sget_simple_extent_ndims(space.id) == 1,
          H5Sget_simple_extent_dims(space.id, &byteCount, nil) == 1, byteCount <= hsize_t(Int.max / 16) else {
      throw .corrupt("the string bytes of \(what) are not a one-dimensional dataset of bytes")
    }
    guard try exists(group, "indices") else { throw .corrupt("string \(what) has no 'indices' dataset") }
    let indices = try openDataset(group, "indices", "the string offsets of \(what)")
    let offsetsShape: Shape
    switch try describe(indices, "the string offsets of \(what)") {
    case .success(let s) where s.dtype == .int32 || s.dtype == .int64: offsetsShape = s
    default: throw .corrupt("the string offsets of \(what) are not int32 or int64")
    }
    guard offsetsShape.length >= 1 else { throw .corrupt("string \(what) has no offsets") }
    let rows = offsetsShape.length - 1
    // The bytes: in place, or read into memory.
    let bytesShape = Shape(length: Int(byteCount), dtype: .uint8, inPlace: true, fileType: type)
    let bytes: UnsafeRawPointer
    if let mapped = mappedBytes(data, bytesShape, width: 1) {
      usesMapping = true
      bytes = mapped
    } else {
      try checkExpansion(data, Int(byteCount), what)
      let owned = try OwnedBytes(count: Int(byteCount), for: what)
      if byteCount > 0 {
        guard H5Dread(data.id, type.id, sfh5_s_all(), sfh5_s_all(), sfh5_p_default(), owned.pointer) >= 0 else {
          throw .corrupt("cannot read \(what)" + HDF5Library.reason())
        }
      }
      owners.append(owned)
      bytes = UnsafeRawPointer(owned.pointer)
    }
    let offsets = try columnBytes(indices, offsetsShape, "the string offsets of \(what)")
    func monotone<T: FixedWidthInteger>(_ p: UnsafePointer<T>) -> Bool {
      guard p[0] >= 0 else { return false }
      var ok = true
      for i in 0..<rows { ok = ok && p[i + 1] >= p[i] }
      return ok && UInt64(p[rows]) <= UInt64(byteCount)
    }
    let ok = offsetsShape.dtype == .int32 ? monotone(offsets.assumingMemoryBound(to: Int32.self))
                                          : monotone(offsets.assumingMemoryBound(to: Int64.self))
    guard ok else { throw .corrupt("\(what) has string offsets out of order or past its \(byteCount) bytes") }
    var validity: UnsafePointer<UInt8>? = nil
    var nullCount = 0
    if try exists(group, "null_bitmap") {
      let bitmap = try openDataset(group, "null_bitmap", "the null bitmap of \(what)")
      (validity, nullCount) = try bitmapValidity(bitmap, rows: rows, of: what)
    }
    let dtype: DType = offsetsShape.dtype == .int32 ? .string : .largeString
    return ColumnChunk(dtype: dtype, length: rows, values: bytes, validity: validity, nullCount: nullCount, offsets: offsets)
  }

  /// vaex's dictionary-encoded column: a group of type "dictionary_encoded" holding
  /// `indices/data` (integers, no missing values) and `dictionary` (a string column).
  /// Every index is checked to point into the dictionary.
  private mutating func addDictionary(_ group: H5Object, name: String) throws(SFError) {
    let what = "column '\(name)'"
    guard try exists(group, "indices"), try exists(group, "dictionary") else {
      throw .corrupt("dictionary-encoded \(what) lacks its 'indices' or 'dictionary' group")
    }
    let indexGroup = try openObject(group, "indices", "the indices of \(what)")
    let dictionaryGroup = try openObject(group, "dictionary", "the dictionary of \(what)")
    guard H5Iget_type(indexGroup.id) == H5I_GROUP, H5Iget_type(dictionaryGroup.id) == H5I_GROUP,
          try exists(indexGroup, "data"), try exists(dictionaryGroup, "data") else {
      throw .corrupt("dictionary-encoded \(what) has no 'indices/data' or 'dictionary/data'")
    }
    let dictionaryData = try openDataset(dictionaryGroup, "data", "the dictionary of \(what)")
    guard try stringAttribute(dictionaryData, "dtype") == "str" else {
      unsupported.append((name, "dictionary of non-strings"))
      return
    }
    let values = try stringChunk(dictionaryGroup, dictionaryData, what: "the dictionary of \(what)")
    let indexData = try openDataset(indexGroup, "data", "the indices of \(what)")
    let shape: Shape
    switch try describe(indexData, "the indices of \(what)") {
    case .success(let s) where s.dtype.isInteger: shape = s
    default: throw .corrupt("the indices of \(what) are not integers")
    }
    try claimLength(shape.length, name)
    let indices = try columnBytes(indexData, shape, "the indices of \(what)")
    struct InRange: IndexVisitor {
      let values: UnsafeRawPointer, count: Int, limit: Int
      func visit<T: FixedWidthInteger>(_: T.Type) -> Bool {
        let p = values.assumingMemoryBound(to: T.self)
        var ok = true
        for i in 0..<count { ok = ok && p[i] >= 0 && UInt64(truncatingIfNeeded: p[i]) < UInt64(limit) }
        return ok
      }
    }
    guard shape.dtype.visitIndex(InRange(values: indices, count: shape.length, limit: values.length)) else {
      throw .corrupt("\(what) has dictionary indices outside its \(values.length) values")
    }
    columns.append((Field(name: name, dtype: values.dtype, nullable: values.validity != nil, categorical: true),
                    ColumnChunk(dtype: values.dtype, length: shape.length, values: indices, validity: nil, nullCount: 0,
                                dictionary: ColumnDictionary(values: values, indexType: shape.dtype))))
  }

  /// Where a dataset's bytes lie in the mapped file, when they can be used in place:
  /// contiguous, unfiltered, stored inside the file and aligned to `width`.
  private func mappedBytes(_ dataset: H5Object, _ shape: Shape, width: Int) -> UnsafeRawPointer? {
    guard shape.inPlace, let base = file.bytes.baseAddress,
          let plist = try? H5Object(H5Dget_create_plist(dataset.id), H5Pclose, or: .corrupt("")),
          H5Pget_layout(plist.id) == H5D_CONTIGUOUS, H5Pget_nfilters(plist.id) == 0,
          H5Pget_external_count(plist.id) == 0 else { return nil }
    let offset = UInt64(H5Dget_offset(dataset.id))
    let byteCount = UInt64(shape.length) * UInt64(width)
    let size = UInt64(file.bytes.count)
    guard offset != UInt64(sfh5_haddr_undef()), offset <= size, byteCount <= size - offset, offset % UInt64(width) == 0,
          H5Dget_storage_size(dataset.id) >= byteCount else { return nil }
    return base + Int(offset)
  }

  /// A numeric column's values: in the mapping when possible, else read (and converted
  /// to native order) into memory the table owns.
  private mutating func columnBytes(_ dataset: H5Object, _ shape: Shape, _ what: String) throws(SFError) -> UnsafeRawPointer {
    let width = shape.dtype.byteWidth
    if let mapped = mappedBytes(dataset, shape, width: width) {
      usesMapping = true
      return mapped
    }
    let byteCount = shape.length * width
    try checkExpansion(dataset, byteCount, what)
    guard let memoryType = nativeType(shape.dtype) else { throw .corrupt("\(what) has type \(shape.dtype), which HDF5 does not hold") }
    let owned = try OwnedBytes(count: byteCount, for: what)
    guard H5Dread(dataset.id, memoryType, sfh5_s_all(), sfh5_s_all(), sfh5_p_default(), owned.pointer) >= 0 else {
      throw .corrupt("cannot read \(what)" + HDF5Library.reason())
    }
    owners.append(owned)
    return UnsafeRawPointer(owned.pointer)
  }

  /// Refuses a dataset that would expand far beyond its stored bytes (a small corrupt
  /// file claiming billions of rows) before memory is allocated for it.
  private func checkExpansion(_ dataset: H5Object, _ byteCount: Int, _ what: String) throws(SFError) {
    let stored = H5Dget_storage_size(dataset.id)
    if byteCount > 1 << 30, UInt64(byteCount) / UInt64(HDF5Loader.maxExpansion) > stored {
      throw .corrupt("\(what) claims \(byteCount) bytes of values but stores only \(stored)")
    }
  }

  private func nativeType(_ dtype: DType) -> hid_t? {
    switch dtype {
    case .bool, .uint8: sfh5_t_native_uint8()
    case .int8: sfh5_t_native_int8()
    case .int16: sfh5_t_native_int16()
    case .int32: sfh5_t_native_int32()
    case .int64: sfh5_t_native_int64()
    case .uint16: sfh5_t_native_uint16()
    case .uint32: sfh5_t_native_uint32()
    case .uint64: sfh5_t_native_uint64()
    case .float32: sfh5_t_native_float()
    case .float64: sfh5_t_native_double()
    default: nil
    }
  }

  /// Calls `body` with the bytes of a 1-byte dataset: the mapped bytes at once when they
  /// can be used in place, else slabs read with H5Dread (no conversion: the dataset's
  /// own type is the memory type).
  private func forEachSlab(_ dataset: H5Object, _ shape: Shape, _ what: String,
                           _ body: (UnsafeRawBufferPointer, Int) -> Void) throws(SFError) {
    guard shape.length > 0 else { return }
    if let mapped = mappedBytes(dataset, shape, width: 1) {
      body(UnsafeRawBufferPointer(start: mapped, count: shape.length), 0)
      return
    }
    try checkExpansion(dataset, shape.length, what)
    let fileSpace = try H5Object(H5Dget_space(dataset.id), H5Sclose, or: .corrupt("cannot read the shape of \(what)"))
    let slab = try OwnedBytes(count: min(shape.length, HDF5Loader.slabElements), for: what)
    var start = 0
    while start < shape.length {
      var first = hsize_t(start), count = hsize_t(min(HDF5Loader.slabElements, shape.length - start))
      guard H5Sselect_hyperslab(fileSpace.id, H5S_SELECT_SET, &first, nil, &count, nil) >= 0 else {
        throw .corrupt("cannot select rows of \(what)" + HDF5Library.reason())
      }
      let memorySpace = try H5Object(H5Screate_simple(1, &count, nil), H5Sclose, or: .corrupt("cannot make a dataspace"))
      guard H5Dread(dataset.id, shape.fileType.id, memorySpace.id, fileSpace.id, sfh5_p_default(), slab.pointer) >= 0 else {
        throw .corrupt("cannot read \(what)" + HDF5Library.reason())
      }
      body(UnsafeRawBufferPointer(start: slab.pointer, count: Int(count)), start)
      start += Int(count)
    }
  }

  /// A vaex mask (one byte per row, non-zero = missing) as an Arrow validity bitmap.
  private mutating func maskValidity(_ mask: H5Object, rows: Int, column: String) throws(SFError) -> (UnsafePointer<UInt8>?, Int) {
    let what = "the mask of column '\(column)'"
    let shape = try byteShape(mask, what)
    guard shape.length == rows else {
      throw .corrupt("\(what) has \(shape.length) rows, the column has \(rows)")
    }
    let bits = try OwnedBytes(count: (rows + 7) / 8, for: what)
    let out = bits.pointer.assumingMemoryBound(to: UInt8.self)
    try forEachSlab(mask, shape, what) { bytes, start in packBits(bytes, into: out, at: start, set: { $0 == 0 }) }
    let nulls = rows - popCount(UnsafePointer(out), rows)
    guard nulls > 0 else { return (nil, 0) }
    owners.append(bits)
    return (UnsafePointer(out), nulls)
  }

  /// vaex's `null_bitmap` (Arrow validity bits): used in place when possible.
  private mutating func bitmapValidity(_ bitmap: H5Object, rows: Int, of owner: String) throws(SFError) -> (UnsafePointer<UInt8>?, Int) {
    let what = "the null bitmap of \(owner)"
    let shape = try byteShape(bitmap, what)
    let needed = (rows + 7) / 8
    guard shape.length >= needed else {
      throw .corrupt("\(what) has \(shape.length) bytes, \(rows) rows need \(needed)")
    }
    guard needed > 0 else { return (nil, 0) }
    let bits: UnsafePointer<UInt8>
    var owned: OwnedBytes?
    if let mapped = mappedBytes(bitmap, shape, width: 1) {
      bits = mapped.assumingMemoryBound(to: UInt8.self)
    } else {
      let copy = try OwnedBytes(count: needed, for: what)
      let out = copy.pointer.assumingMemoryBound(to: UInt8.self)
      let prefix = Shape(length: needed, dtype: shape.dtype, inPlace: false, fileType: shape.fileType)
      try forEachSlab(bitmap, prefix, what) { bytes, start in
        for i in 0..<bytes.count { out[start + i] = bytes[i] }
      }
      bits = UnsafePointer(out)
      owned = copy
    }
    let nulls = rows - popCount(bits, rows)
    guard nulls > 0 else { return (nil, 0) }
    if let owned { owners.append(owned) } else { usesMapping = true }
    return (bits, nulls)
  }

  /// A mask or bitmap dataset: one dimension of a 1-byte integer or bool type.
  private func byteShape(_ dataset: H5Object, _ what: String) throws(SFError) -> Shape {
    switch try describe(dataset, what) {
    case .success(let shape) where shape.dtype.byteWidth == 1 && !shape.dtype.isFloat:
      return shape
    case .success(let shape):
      throw .corrupt("\(what) has type \(shape.dtype), expected one byte per value")
    case .failure(let u):
      throw .corrupt("\(what) has type \(u.name), expected one byte per value")
    }
  }

  // MARK: Order

  /// Puts the columns named in the group's `column_order` attribute first, in that order.
  private mutating func orderColumns(_ group: H5Object) throws(SFError) {
    guard let order = try stringAttribute(group, "column_order"), !order.isEmpty else { return }
    var rank: [String: Int] = [:]
    for (i, name) in order.split(separator: ",", omittingEmptySubsequences: false).enumerated()
    where rank[String(name)] == nil {
      rank[String(name)] = i
    }
    let indexed = columns.enumerated().map { (position: $0.offset, column: $0.element) }
    columns = indexed.sorted { a, b in
      let ra = rank[a.column.field.name] ?? Int.max, rb = rank[b.column.field.name] ?? Int.max
      return ra != rb ? ra < rb : a.position < b.position
    }.map(\.column)
  }
}

/// Sets bit `start + i` of `out` to `set(bytes[i])`; bits of earlier rows are kept.
private func packBits(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>, at start: Int,
                      set: (UInt8) -> Bool) {
  var i = 0
  let n = bytes.count
  // Whole output bytes when `start` is byte-aligned (the slab size is a multiple of 8).
  if start % 8 == 0 {
    let base = start / 8
    while i + 8 <= n {
      var byte: UInt8 = 0
      for b in 0..<8 where set(bytes[i + b]) { byte |= 1 << UInt8(b) }
      out[base + i / 8] = byte
      i += 8
    }
  }
  while i < n {
    let row = start + i
    if (row % 8) == 0 { out[row / 8] = 0 }
    if set(bytes[i]) { out[row / 8] |= 1 << UInt8(row % 8) }
    i += 1
  }
}

/// Set bits among the first `rows` bits of `bits`.
private func popCount(_ bits: UnsafePointer<UInt8>, _ rows: Int) -> Int {
  var count = 0
  for i in 0..<(rows / 8) { count += bits[i].nonzeroBitCount }
  if rows % 8 != 0 { count += (bits[rows / 8] & UInt8((1 << (rows % 8)) - 1)).nonzeroBitCount }
  return count
}
