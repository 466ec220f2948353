extension DataFrame {
  /// Converts a CSV file to an Arrow IPC file without loading it: the CSV is
  /// mapped and converted block by block in parallel, in memory bounded by
  /// `threads × blockSize` whatever its size (see CSVConverter). The Arrow file
  /// is written beside `arrowPath` under a temporary name and renamed into place
  /// when complete; on error nothing is left under `arrowPath`.
  ///
  ///     try DataFrame.convertCSV(path: "taxi.csv", to: "taxi.arrow")
  ///     let df = try DataFrame.open("taxi.arrow")
  @discardableResult
  public static func convertCSV(path: String, to arrowPath: String, options: CSVOptions = CSVOptions(),
                                progress: ProgressHandler? = nil) throws(SFError) -> CSVConversion {
    try CSVConverter.convert(csv: path, to: arrowPath, options: options, progress: progress)
  }
}

extension CSVOptions {
  /// Options from a JSON object (the C ABI's form), every key optional:
  /// `{"sep": ",", "header": true, "usecols": ["a", 2], "dtype": {"a": "float64"},
  ///   "block_size": 8388608, "sample_rows": 65536, "threads": 0}`.
  public init(json: String) throws(SFError) {
    self.init()
    var parser = JSONParser(Array(json.utf8))
    let value = try parser.document()
    guard case .object(let entries) = value else { throw .argument("CSV options must be a JSON object") }
    for (key, v) in entries {
      switch (key, v) {
      case (_, .null): continue
      case ("sep", .string(let s)):
        guard s.utf8.count == 1, let byte = s.utf8.first else {
          throw .argument("sep must be one single-byte character, got '\(s)'")
        }
        separator = byte
      case ("header", .bool(let b)): header = b
      case ("usecols", .array(let items)):
        var list: [CSVColumnSelector] = []
        for item in items {
          switch item {
          case .string(let s): list.append(.name(s))
          case .number(let n) where n == n.rounded() && abs(n) < 1e15: list.append(.index(Int(n)))
          default: throw .argument("usecols must list column names or positions")
          }
        }
        usecols = list
      case ("dtype", .object(let pairs)):
        for (name, t) in pairs {
          guard case .string(let typeName) = t, let type = CSVType(name: typeName) else {
            throw .argument("dtype for column '\(name)': unknown type (use bool, int32, int64, float32, "
                            + "float64, date32, timestamp[us] or string)")
          }
          dtypes[name] = type
        }
      case ("block_size", .number(let n)) where n >= 1 && n <= 1e12 && n == n.rounded(): blockSize = Int(n)
      case ("sample_rows", .number(let n)) where n >= 1 && n <= 1e12 && n == n.rounded(): sampleRows = Int(n)
      case ("threads", .number(let n)) where n >= 0 && n <= 1024 && n == n.rounded(): threads = Int(n)
      case ("sep", _), ("header", _), ("usecols", _), ("dtype", _), ("block_size", _), ("sample_rows", _), ("threads", _):
        throw .argument("CSV option '\(key)' has a value of the wrong type or range")
      default:
        throw .argument("unknown CSV option '\(key)'")
      }
    }
  }
}
