import FrameCompute
import FrameStorage

/// Columns the library computes (distinct values, labels, groupby results), built in
/// Swift memory that the table owns.
struct OwnedColumns {
  private(set) var fields: [Field] = []
  private(set) var chunks: [ColumnChunk] = []
  private(set) var owners: [AnyObject] = []
  let length: Int

  init(length: Int) { self.length = length }

  /// A column of `dtype` from 64-bit patterns (as ValueList and Scalar hold them); row i
  /// is missing where `present[i]` is false.
  mutating func add(_ name: String, _ dtype: DType, bits: [UInt64], present: [Bool]) {
    let owned: OwnedBuffer
    switch dtype.byteWidth {
    case _ where dtype == .bool:
      var packed = [UInt8](repeating: 0, count: length / 8 + 1)
      for (i, b) in bits.enumerated() where b != 0 { packed[i >> 3] |= 1 << UInt8(i & 7) }
      owned = OwnedBuffer(packed)
    case 1: owned = OwnedBuffer(bits.map { UInt8(truncatingIfNeeded: $0) })
    case 2: owned = OwnedBuffer(bits.map { UInt16(truncatingIfNeeded: $0) })
    case 4 where dtype == .float32: owned = OwnedBuffer(bits.map { Float(Double(bitPattern: $0)) })
    case 4: owned = OwnedBuffer(bits.map { UInt32(truncatingIfNeeded: $0) })
    default: owned = OwnedBuffer(bits)
    }
    let (validity, nulls) = bitmap(present)
    owners.append(owned)
    append(Field(name: name, dtype: dtype),
           ColumnChunk(dtype: dtype, length: length, values: owned.pointer, validity: validity, nullCount: nulls))
  }

  /// A large_string column; nil entries are missing.
  mutating func add(_ name: String, strings: [ArraySlice<UInt8>?]) {
    var offsets: [Int64] = [0]
    var bytes: [UInt8] = []
    for s in strings {
      if let s { bytes += s }
      offsets.append(Int64(bytes.count))
    }
    let o = OwnedBuffer(offsets), b = OwnedBuffer(bytes)
    let (validity, nulls) = bitmap(strings.map { $0 != nil })
    owners += [o, b]
    append(Field(name: name, dtype: .largeString),
           ColumnChunk(dtype: .largeString, length: length, values: b.pointer, validity: validity, nullCount: nulls,
                       offsets: o.pointer))
  }

  /// Row `rows[i]` of `values` in row i (nil: missing).
  mutating func add(_ name: String, _ values: ValueList, rows: [Int?]) {
    switch values {
    case .strings(let words):
      add(name, strings: rows.map { r in r.map { words[$0][...] } })
    case .fixed(let dtype, let bits):
      add(name, dtype, bits: rows.map { r in r.map { bits[$0] } ?? 0 }, present: rows.map { $0 != nil })
    }
  }

  private mutating func append(_ field: Field, _ chunk: ColumnChunk) {
    fields.append(field)
    chunks.append(chunk)
  }

  private mutating func bitmap(_ present: [Bool]) -> (UnsafePointer<UInt8>?, Int) {
    let nulls = present.reduce(0) { $0 + ($1 ? 0 : 1) }
    guard nulls > 0 else { return (nil, 0) }
    var bits = [UInt8](repeating: 0, count: present.count / 8 + 1)
    for (i, p) in present.enumerated() where p { bits[i >> 3] |= 1 << UInt8(i & 7) }
    let owned = OwnedBuffer(bits)
    owners.append(owned)
    return (owned.pointer.assumingMemoryBound(to: UInt8.self), nulls)
  }

  var frame: DataFrame {
    DataFrame(table: Table(fields: fields, batches: [RecordBatch(length: length, columns: chunks)],
                           source: "<memory>", owners: owners))
  }
}
