#if canImport(Glibc)
import Glibc
#endif
import CSwiftFrame
import SwiftFrame

/// Hands `bytes` to the caller as a malloc'd buffer (sf_buffer_free) and its length.
private func handOver(_ bytes: [UInt8], _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                      _ length: UnsafeMutablePointer<Int64>?) throws(SFError) {
  let data = try output(data, "data"), length = try output(length, "length")
  data.pointee = try copyToMalloc(bytes)
  length.pointee = Int64(bytes.count)
}

/// The caller's bytes (borrowed for the call) as an array.
private func blob(_ p: UnsafeRawPointer?, _ length: Int64, _ what: String) throws(SFError) -> [UInt8] {
  guard length >= 0, let p else { throw .argument("\(what) is NULL or has a negative length") }
  return Array(UnsafeRawBufferPointer(start: p, count: Int(length)))
}

@_cdecl("sf_frame_aggregate_partial")
public func sfFrameAggregatePartial(_ handle: OpaquePointer?, _ n: Int32, _ kinds: UnsafePointer<Int32>?,
                                    _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                                    _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                                    _ selections: UnsafePointer<UnsafePointer<CChar>?>?,
                                    _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                                    _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                    _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle)
    let requests = try aggregateRequests(n, kinds, expressions, seconds, selections)
    try handOver(try f.aggregatePartial(requests, progress: progressHandler(progress, ctx)), data, length)
  }
}

@_cdecl("sf_frame_aggregate_binned_partial")
public func sfFrameAggregateBinnedPartial(_ handle: OpaquePointer?, _ n: Int32, _ kinds: UnsafePointer<Int32>?,
                                          _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                                          _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                                          _ selections: UnsafePointer<UnsafePointer<CChar>?>?, _ axisCount: Int32,
                                          _ binby: UnsafePointer<UnsafePointer<CChar>?>?, _ low: UnsafePointer<Double>?,
                                          _ high: UnsafePointer<Double>?, _ shape: UnsafePointer<Int64>?,
                                          _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                                          _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                          _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle)
    let requests = try aggregateRequests(n, kinds, expressions, seconds, selections)
    let axes = try binbyAxes(axisCount, binby, low, high, shape)
    try handOver(try f.aggregatePartial(requests, binby: axes, progress: progressHandler(progress, ctx)), data, length)
  }
}

@_cdecl("sf_frame_groupby_partial")
public func sfFrameGroupbyPartial(_ handle: OpaquePointer?, _ keyCount: Int32,
                                  _ keys: UnsafePointer<UnsafePointer<CChar>?>?,
                                  _ keyNames: UnsafePointer<UnsafePointer<CChar>?>?, _ n: Int32,
                                  _ kinds: UnsafePointer<Int32>?, _ expressions: UnsafePointer<UnsafePointer<CChar>?>?,
                                  _ seconds: UnsafePointer<UnsafePointer<CChar>?>?,
                                  _ selections: UnsafePointer<UnsafePointer<CChar>?>?,
                                  _ names: UnsafePointer<UnsafePointer<CChar>?>?, _ progress: sf_progress?,
                                  _ ctx: UnsafeMutableRawPointer?,
                                  _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                                  _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle)
    guard keyCount >= 1 else { throw .argument("groupby needs at least one key") }
    let requests = try aggregateRequests(n, kinds, expressions, seconds, selections)
    let blob = try f.groupbyPartial(try strings(keyCount, keys, "keys"), names: try strings(keyCount, keyNames, "key_names"),
                                    requests, resultNames: try strings(n, names, "names"),
                                    progress: progressHandler(progress, ctx))
    try handOver(blob, data, length)
  }
}

@_cdecl("sf_partials_merge")
public func sfPartialsMerge(_ n: Int32, _ blobs: UnsafePointer<UnsafeRawPointer?>?, _ lengths: UnsafePointer<Int64>?,
                            _ data: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
                            _ length: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    guard n >= 1, let blobs, let lengths else { throw .argument("sf_partials_merge needs n >= 1 blobs and lengths") }
    var list: [[UInt8]] = []
    for i in 0..<Int(n) { list.append(try blob(blobs[i], lengths[i], "blobs[\(i)]")) }
    try handOver(try Partials.merge(list), data, length)
  }
}

@_cdecl("sf_partials_finish")
public func sfPartialsFinish(_ p: UnsafeRawPointer?, _ length: Int64, _ capacity: Int64,
                             _ out: UnsafeMutablePointer<sf_scalar>?) -> Int32 {
  boundary { () throws(SFError) in
    let out = try output(out)
    let results = try Partials.finish(try blob(p, length, "blob"))
    let total = results.reduce(0) { $0 + $1.count }
    guard Int64(total) == capacity else { throw .argument("the partial state holds \(total) results, out has room for \(capacity)") }
    writeScalars(results, to: out)
  }
}

@_cdecl("sf_partials_finish_groupby")
public func sfPartialsFinishGroupby(_ p: UnsafeRawPointer?, _ length: Int64,
                                    _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let out = try output(out)
    out.pointee = retained(try Partials.finishGroupby(try blob(p, length, "blob")))
  }
}
