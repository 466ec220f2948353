import FrameCompute
import FrameStorage

/// Distinct values and categoricals: `unique`, and the labels of a categorical column,
/// stored (an Arrow dictionary shared by its chunks) or defined by `ordinal_encode` /
/// `categorize` (the labels are in the virtual column's definition).
extension DataFrame {
  /// The distinct values of `expression` over the frame's rows as a one-column frame
  /// ("values"), sorted (numbers by value, NaN last; strings by code point), with one
  /// missing value last when some row is missing.
  public func unique(_ expression: String, progress: ProgressHandler? = nil) throws(SFError) -> DataFrame {
    let s = snapshot
    let program = try compile(expression)
    let (values, hasMissing) = try uniqueValues(scan(s), program: program, progress: progress)
    return try DataFrame(values: values, appendingMissing: hasMissing, name: "values")
  }

  /// The labels of categorical column `name` as a one-column frame ("labels"), and what
  /// to subtract from a code to index them; nil when `name` is not categorical.
  public func categoryLabels(_ name: String) throws(SFError) -> (labels: DataFrame, offset: Int64)? {
    if virtualExpression(name) != nil {
      guard case .apply(let fn) = try compile("`\(name)`").root.op, let codes = fn as? any CategoryCodes else {
        return nil
      }
      return (try DataFrame(values: codes.labels, appendingMissing: false, name: "labels"), codes.codeOffset)
    }
    guard let dictionary = sharedDictionary(name) else { return nil }
    let batch = RecordBatch(length: dictionary.values.length, columns: [dictionary.values])
    let field = Field(name: "labels", dtype: dictionary.values.dtype)
    return (DataFrame(table: Table(fields: [field], batches: [batch], source: "<labels>", owners: [table])), 0)
  }

  /// The int32 indices of stored categorical column `name` into its shared dictionary
  /// (`categoryLabels`) for rows `range` after the filter; `valid` gets 1 for
  /// present and 0 for missing rows. Returns how many rows are missing.
  public func dictionaryIndices(_ name: String, range: Range<Int>, into out: UnsafeMutablePointer<Int32>,
                                valid: UnsafeMutablePointer<UInt8>, progress: ProgressHandler? = nil) throws(SFError) -> Int {
    guard let dictionary = sharedDictionary(name) else {
      if virtualExpression(name) == nil, let i = storedIndex(name), table.fields[i].categorical {
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

  /// A one-column frame owning `values` (and a missing value after them).
  convenience init(values: ValueList, appendingMissing missing: Bool, name: String) throws(SFError) {
    var columns = OwnedColumns(length: values.count + (missing ? 1 : 0))
    columns.add(name, values, rows: Array(0..<values.count) + (missing ? [nil] : []))
    self.init(table: columns.frame.table)
  }
}
