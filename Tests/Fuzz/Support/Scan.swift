// Shared by the fuzz targets: put the fuzzer's bytes in a file, and read every column
// of an opened frame through the C ABI the way a user would (statistics, values,
// groupby). Errors are expected and ignored; only a crash, a sanitizer report or a
// leak is a finding.
import CSwiftFrame
import Foundation

/// A scratch file per process, rewritten for every input (libFuzzer runs inputs one at a time).
public func withScratchFile(_ data: UnsafeRawBufferPointer, suffix: String = ".bin",
                            _ body: (String) -> Void) {
  let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
  let path = "\(dir)/swiftframe-fuzz-\(getpid())\(suffix)"
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  guard fd >= 0 else { fatalError("fuzz harness: cannot create \(path)") }
  var done = 0
  while done < data.count {
    let n = write(fd, data.baseAddress! + done, data.count - done)
    guard n > 0 else { fatalError("fuzz harness: cannot write \(path)") }
    done += n
  }
  close(fd)
  body(path)
  unlink(path)
}

/// Opens `path` with sf_frame_open and, when that succeeds, scans the frame.
public func openAndScan(_ path: String, light: Bool = false) {
  var frame: OpaquePointer?
  guard sf_frame_open(path, &frame) == SF_OK, let frame else { return }
  scan(frame, light: light)
  sf_frame_release(frame)
}

/// The columns of a frame: (name, dtype name or nil when unsupported).
public func columns(_ frame: OpaquePointer) -> [(name: String, dtype: String?)] {
  var json: UnsafeMutablePointer<CChar>?
  guard sf_frame_columns_json(frame, &json) == SF_OK, let json else { return [] }
  defer { sf_string_free(json) }
  guard let parsed = try? JSONSerialization.jsonObject(with: Data(String(cString: json).utf8)) as? [[String: Any]]
  else { fatalError("fuzz harness: sf_frame_columns_json gave invalid JSON") }
  return parsed.map { ($0["name"] as? String ?? "", $0["dtype"] as? String) }
}

/// Statistics, values and a groupby of every supported column (`light`: two statistics
/// and the values, for targets whose subject is not the scan).
public func scan(_ frame: OpaquePointer, light: Bool = false) {
  var length: Int64 = 0
  guard sf_frame_length(frame, nil, nil, &length) == SF_OK else { return }
  for column in columns(frame) where column.dtype != nil {
    if column.name.contains("`") || column.name.utf8.contains(0) { continue }
    exercise(frame, "`\(column.name)`", length: length, light: light)
  }
}

let statistics: [Int32] = [Int32(SF_AGG_COUNT), Int32(SF_AGG_SUM), Int32(SF_AGG_MEAN), Int32(SF_AGG_VAR),
                           Int32(SF_AGG_MIN), Int32(SF_AGG_MAX), Int32(SF_AGG_FIRST), Int32(SF_AGG_NUNIQUE)]

/// Runs the statistics of `expression` (each alone: a type error in one must not hide
/// the others), evaluates its values over every row, and groups by it.
public func exercise(_ frame: OpaquePointer, _ expression: String, length: Int64, light: Bool = false) {
  var dtype: Int32 = 0
  guard sf_frame_dtype(frame, expression, &dtype) == SF_OK else { return }
  for kind in light ? [Int32(SF_AGG_COUNT), Int32(SF_AGG_MAX)] : statistics {
    var kinds = [kind], out = [sf_scalar()]
    expression.withCString { e in
      var exprs: [UnsafePointer<CChar>?] = [e]
      _ = sf_frame_aggregate(frame, 1, &kinds, &exprs, nil, nil, nil, nil, &out)
    }
  }
  let rows = Int(min(length, 1 << 20))
  if dtype == Int32(SF_DTYPE_STRING) || dtype == Int32(SF_DTYPE_LARGE_STRING) {
    var offsets = [Int64](repeating: 0, count: rows + 1), valid = [UInt8](repeating: 0, count: rows)
    var data: UnsafeMutableRawPointer?, bytes: Int64 = 0, missing: Int64 = 0
    if sf_frame_evaluate_strings(frame, expression, 0, Int64(rows), &offsets, &valid, nil, nil,
                                 &data, &bytes, &missing) == SF_OK {
      sf_buffer_free(data)
    }
  } else {
    var values = [UInt64](repeating: 0, count: rows), valid = [UInt8](repeating: 0, count: rows)
    var missing: Int64 = 0
    _ = sf_frame_evaluate(frame, expression, 0, Int64(rows), dtype, &values, &valid, nil, nil, &missing)
  }
  if light { return }
  var grouped: OpaquePointer?
  expression.withCString { e in
    "n".withCString { n in
      "key".withCString { k in
        var keys: [UnsafePointer<CChar>?] = [e], keyNames: [UnsafePointer<CChar>?] = [k]
        var kinds = [Int32(SF_AGG_COUNT)], exprs: [UnsafePointer<CChar>?] = [nil], names: [UnsafePointer<CChar>?] = [n]
        if sf_frame_groupby(frame, 1, &keys, &keyNames, 1, &kinds, &exprs, nil, nil, &names, nil, nil, &grouped) == SF_OK {
          sf_frame_release(grouped)
        }
      }
    }
  }
}
