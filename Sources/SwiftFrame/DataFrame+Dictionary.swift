/// A stored categorical column's shared dictionary and its rows' indices into it, for
/// writers that keep columns dictionary-encoded (vaex's HDF5 layout, from Python).
extension DataFrame {
  /// The strings of the dictionary every chunk of stored categorical column `name`
  /// shares (`sharedDictionary`), as Arrow large_utf8 pieces: `count + 1` offsets into
  /// `bytes`, and per string 1 when present, 0 when missing. Nil when `name` is not a
  /// stored categorical or its chunks have different dictionaries. Each string is
  /// checked to be well-formed UTF-8.
  public func sharedDictionaryStrings(_ name: String) throws(SFError) -> (offsets: [Int64], bytes: [UInt8], valid: [UInt8])? {
    guard let dictionary = sharedDictionary(name), let rawOffsets = dictionary.values.offsets else { return nil }
    let chunk = dictionary.values
    let n = chunk.length, start = chunk.offset
    func offset(_ i: Int) -> Int {
      chunk.dtype == .string
        ? Int(rawOffsets.load(fromByteOffset: (start + i) * 4, as: Int32.self))
        : Int(truncatingIfNeeded: rawOffsets.load(fromByteOffset: (start + i) * 8, as: Int64.self))
    }
    guard chunk.dtype == .string || chunk.dtype == .largeString else { return nil }
    let base = n == 0 ? 0 : offset(0)
    var offsets: [Int64] = [], valid: [UInt8] = []
    offsets.reserveCapacity(n + 1)
    valid.reserveCapacity(n)
    offsets.append(0)
    for i in 0..<n {
      let present = chunk.validity.map { ($0[(start + i) >> 3] >> UInt8((start + i) & 7)) & 1 == 1 } ?? true
      valid.append(present ? 1 : 0)
      offsets.append(Int64(offset(i + 1) - base))
    }
    let bytes = [UInt8](UnsafeRawBufferPointer(start: chunk.values + base, count: n == 0 ? 0 : offset(n) - base))
    for i in 0..<n {
      let word = bytes[Int(offsets[i])..<Int(offsets[i + 1])]
      guard String(validating: word, as: UTF8.self) != nil else {
        throw SFError(.corrupt, "the dictionary of column '\(name)' holds invalid UTF-8 in entry \(i)")
      }
    }
    return (offsets, bytes, valid)
  }

  /// The int32 indices of stored categorical column `name` into its shared dictionary
  /// (`sharedDictionaryStrings`) for rows `range` after the filter; `valid` gets 1 for
  /// present and 0 for missing rows. Returns how many rows are missing.
  public func dictionaryIndices(_ name: String, range: Range<Int>, into out: UnsafeMutablePointer<Int32>,
                                valid: UnsafeMutablePointer<UInt8>, progress: ProgressHandler? = nil) throws(SFError) -> Int {
    guard let dictionary = sharedDictionary(name) else {
      if virtualExpression(name) == nil, let i = table.fieldIndex(name), table.fields[i].categorical {
        throw SFError(.type, "column '\(name)' has different dictionaries in its record batches or files")
      }
      throw SFError(.type, "'\(name)' is not a stored categorical column")
    }
    let n = try length(progress: progress)
    guard range.lowerBound >= 0, range.upperBound <= n else {
      throw .argument("rows \(range.lowerBound)..<\(range.upperBound) out of range for a frame of \(n) rows")
    }
    return try evaluateDictionaryIndices("`\(name)`", range: range, dictionary: dictionary, into: out, valid: valid,
                                         progress: progress)
  }
}
