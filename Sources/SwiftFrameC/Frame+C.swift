#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_open")
public func sfFrameOpen(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let path = try string(path, "path"), out = try output(out)
    out.pointee = retained(try DataFrame.open(path))
  }
}

@_cdecl("sf_frame_from_arrays")
public func sfFrameFromArrays(_ length: Int64, _ n: Int32, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                              _ dtypes: UnsafePointer<Int32>?, _ data: UnsafePointer<UnsafeRawPointer?>?,
                              _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let out = try output(out)
    guard n >= 0 else { throw .argument("negative column count \(n)") }
    guard n == 0 || (names != nil && dtypes != nil && data != nil) else { throw .argument("names, dtypes or data is NULL") }
    var columns: [(name: String, dtype: DType, data: UnsafeRawPointer)] = []
    for i in 0..<Int(n) {
      guard let p = data![i] else { throw .argument("data[\(i)] is NULL") }
      columns.append((try string(names![i], "names[\(i)]"), try dtype(dtypes![i]), p))
    }
    out.pointee = retained(try DataFrame.wrapping(columns: columns, length: Int(length)))
  }
}

@_cdecl("sf_frame_release")
public func sfFrameRelease(_ handle: OpaquePointer?) {
  guard let handle else { return }
  Unmanaged<DataFrame>.fromOpaque(UnsafeRawPointer(handle)).release()
}

@_cdecl("sf_frame_copy")
public func sfFrameCopy(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = retained(f.copy())
  }
}

@_cdecl("sf_frame_columns_json")
public func sfFrameColumnsJSON(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = strdup(f.columnsJSON())
  }
}

@_cdecl("sf_frame_add_virtual_column")
public func sfFrameAddVirtualColumn(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                    _ expression: UnsafePointer<CChar>?) -> Int32 {
  boundary { () throws(SFError) in
    try frame(handle).addVirtualColumn(try string(name, "name"), try string(expression, "expression"))
  }
}

@_cdecl("sf_frame_filter")
public func sfFrameFilter(_ handle: OpaquePointer?, _ expression: UnsafePointer<CChar>?,
                          _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), e = try string(expression, "expression"), out = try output(out)
    out.pointee = retained(try f.filtered(e))
  }
}

@_cdecl("sf_frame_select_columns")
public func sfFrameSelectColumns(_ handle: OpaquePointer?, _ n: Int32, _ names: UnsafePointer<UnsafePointer<CChar>?>?,
                                 _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = retained(try f.selecting(columns: try strings(n, names, "names")))
  }
}

@_cdecl("sf_frame_slice")
public func sfFrameSlice(_ handle: OpaquePointer?, _ start: Int64, _ stop: Int64,
                         _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    let lo = Int(max(0, start)), hi = Int(max(start, stop))
    out.pointee = retained(try f.slice(lo..<hi))
  }
}

@_cdecl("sf_frame_length")
public func sfFrameLength(_ handle: OpaquePointer?, _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                          _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = Int64(try f.length(progress: progressHandler(progress, ctx)))
  }
}

@_cdecl("sf_frame_dtype")
public func sfFrameDType(_ handle: OpaquePointer?, _ expression: UnsafePointer<CChar>?,
                         _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), e = try string(expression, "expression"), out = try output(out)
    out.pointee = try f.dtype(of: e).rawValue
  }
}

@_cdecl("sf_frame_aggregate")
public func sfFrameAggregate(_ handle: OpaquePointer?, _ n: Int32, _ kinds: UnsafePointer<Int32>?,
                             _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                             _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                             _ selections: UnsafePointer<UnsafePointer<CChar>?>?,
                             _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                             _ out: UnsafeMutablePointer<sf_scalar>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    let requests = try aggregateRequests(n, kinds, expressions, seconds, selections)
    let results = try f.aggregate(requests, progress: progressHandler(progress, ctx))
    for (i, r) in results.enumerated() {
      out[i] = sf_scalar(dtype: r.dtype.rawValue, is_null: r.isNull ? 1 : 0, bits: r.bits)
    }
  }
}

@_cdecl("sf_frame_aggregate_binned")
public func sfFrameAggregateBinned(_ handle: OpaquePointer?, _ n: Int32, _ kinds: UnsafePointer<Int32>?,
                                   _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                                   _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                                   _ selections: UnsafePointer<UnsafePointer<CChar>?>?, _ axisCount: Int32,
                                   _ binby: UnsafePointer<UnsafePointer<CChar>?>?, _ low: UnsafePointer<Double>?,
                                   _ high: UnsafePointer<Double>?, _ shape: UnsafePointer<Int64>?,
                                   _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                                   _ out: UnsafeMutablePointer<sf_scalar>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    let requests = try aggregateRequests(n, kinds, expressions, seconds, selections)
    let axes = try binbyAxes(axisCount, binby, low, high, shape)
    writeScalars(try f.aggregate(requests, binby: axes, progress: progressHandler(progress, ctx)), to: out)
  }
}

/// Per statistic its cells, one after the other, as sf_scalar into `out`.
func writeScalars(_ results: [[Scalar]], to out: UnsafeMutablePointer<sf_scalar>) {
  var k = 0
  for cells in results {
    for r in cells {
      out[k] = sf_scalar(dtype: r.dtype.rawValue, is_null: r.isNull ? 1 : 0, bits: r.bits)
      k += 1
    }
  }
}

@_cdecl("sf_frame_groupby")
public func sfFrameGroupby(_ handle: OpaquePointer?, _ keyCount: Int32, _ keys: UnsafePointer<UnsafePointer<CChar>?>?,
                           _ keyNames: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int32,
                           _ kinds: UnsafePointer<Int32>?, _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                           _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                           _ selections: UnsafePointer<UnsafePointer<CChar>?>?,
                           _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ progress: sf_progress?,
                           _ ctx: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    guard keyCount >= 1 else { throw .argument("groupby needs at least one key") }
    let requests = try aggregateRequests(n, kinds, expressions, seconds, selections)
    out.pointee = retained(try f.groupby(try strings(keyCount, keys, "keys"), names: try strings(keyCount, keyNames, "key_names"),
                                         requests, resultNames: try strings(n, names, "names"),
                                         progress: progressHandler(progress, ctx)))
  }
}

/// The grid axes of sf_frame_aggregate_binned.
func binbyAxes(_ axisCount: Int32, _ binby: UnsafePointer<UnsafePointer<CChar>?>?, _ low: UnsafePointer<Double>?,
               _ high: UnsafePointer<Double>?, _ shape: UnsafePointer<Int64>?) throws(SFError) -> [DataFrame.Axis] {
  guard axisCount >= 1, let binby, let low, let high, let shape else {
    throw .argument("binby needs at least one axis, with low, high and shape")
  }
  var axes: [DataFrame.Axis] = []
  for i in 0..<Int(axisCount) {
    guard shape[i] > 0, shape[i] <= Int64(Int32.max) else { throw .argument("shape[\(i)] must be positive, got \(shape[i])") }
    axes.append(DataFrame.Axis(try string(binby[i], "binby[\(i)]"), low: low[i], high: high[i], bins: Int(shape[i])))
  }
  return axes
}

/// The requests of sf_frame_aggregate, sf_frame_aggregate_binned and sf_frame_groupby.
func aggregateRequests(_ n: Int32, _ kinds: UnsafePointer<Int32>?,
                               _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                               _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                               _ selections: UnsafePointer<UnsafePointer<CChar>?>?) throws(SFError) -> [DataFrame.Request] {
  guard n >= 0, let kinds, let expressions else { throw .argument("kinds or expressions is NULL") }
  var requests: [DataFrame.Request] = []
  for i in 0..<Int(n) {
    guard let kind = AggregateKind(rawValue: kinds[i]) else { throw .argument("unknown statistic code \(kinds[i])") }
    let e = expressions[i].map { String(cString: $0) }
    guard e != nil || kind == .count else { throw .argument("expressions[\(i)] is NULL") }
    requests.append(DataFrame.Request(kind, e, selection: selections?[i].map { String(cString: $0) },
                                      second: seconds?[i].map { String(cString: $0) }))
  }
  return requests
}

@_cdecl("sf_frame_evaluate")
public func sfFrameEvaluate(_ handle: OpaquePointer?, _ expression: UnsafePointer<CChar>?, _ start: Int64, _ stop: Int64,
                            _ dtypeCode: Int32, _ values: UnsafeMutableRawPointer?, _ valid: UnsafeMutablePointer<UInt8>?,
                            _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                            _ missing: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), e = try string(expression, "expression")
    guard start >= 0, stop >= start else { throw .argument("bad row range \(start)..<\(stop)") }
    guard let values = values ?? (stop == start ? UnsafeMutableRawPointer(bitPattern: 8) : nil) else {
      throw .argument("values is NULL")
    }
    let lost = try f.evaluate(e, range: Int(start)..<Int(stop), dtype: try dtype(dtypeCode), into: values,
                              valid: valid, progress: progressHandler(progress, ctx))
    missing?.pointee = Int64(lost)
  }
}

@_cdecl("sf_frame_evaluate_strings")
public func sfFrameEvaluateStrings(_ handle: OpaquePointer?, _ expression: UnsafePointer<CChar>?, _ start: Int64,
                                   _ stop: Int64, _ offsets: UnsafeMutablePointer<Int64>?,
                                   _ valid: UnsafeMutablePointer<UInt8>?, _ progress: sf_progress?,
                                   _ ctx: UnsafeMutableRawPointer?, _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                   _ dataLength: UnsafeMutablePointer<Int64>?, _ missing: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), e = try string(expression, "expression")
    let offsets = try output(offsets, "offsets"), data = try output(data, "data")
    let dataLength = try output(dataLength, "data_length")
    guard start >= 0, stop >= start else { throw .argument("bad row range \(start)..<\(stop)") }
    let (bytes, lost) = try f.evaluateStrings(e, range: Int(start)..<Int(stop), offsets: offsets, valid: valid,
                                              progress: progressHandler(progress, ctx))
    data.pointee = try copyToMalloc(bytes)
    dataLength.pointee = Int64(bytes.count)
    missing?.pointee = Int64(lost)
  }
}

@_cdecl("sf_frame_column_data")
public func sfFrameColumnData(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                              _ data: UnsafeMutablePointer<UnsafeRawPointer?>?, _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), n = try string(name, "name"), data = try output(data, "data"), length = try output(length, "length")
    if let b = f.storedBuffer(n) {
      data.pointee = b.pointer
      length.pointee = Int64(b.count)
    } else {
      data.pointee = nil
    }
  }
}

@_cdecl("sf_frame_trim")
public func sfFrameTrim(_ handle: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), out = try output(out)
    out.pointee = retained(try f.trimmed())
  }
}
