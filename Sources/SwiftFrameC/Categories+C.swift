import CSwiftFrame
import SwiftFrame

@_cdecl("sf_frame_unique")
public func sfFrameUnique(_ handle: OpaquePointer?, _ expression: UnsafePointer<CChar>?, _ progress: sf_progress?,
                          _ ctx: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), e = try string(expression, "expression"), out = try output(out)
    out.pointee = retained(try f.unique(e, progress: progressHandler(progress, ctx)))
  }
}

@_cdecl("sf_frame_category_labels")
public func sfFrameCategoryLabels(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                  _ offset: UnsafeMutablePointer<Int64>?,
                                  _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), n = try string(name, "name")
    let offset = try output(offset, "offset"), out = try output(out)
    let found = try f.categoryLabels(n)
    offset.pointee = found?.offset ?? 0
    out.pointee = found.map { retained($0.labels) } ?? nil
  }
}

@_cdecl("sf_frame_dictionary_indices")
public func sfFrameDictionaryIndices(_ handle: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ start: Int64, _ stop: Int64,
                                     _ indices: UnsafeMutablePointer<Int32>?, _ valid: UnsafeMutablePointer<UInt8>?,
                                     _ progress: sf_progress?, _ ctx: UnsafeMutableRawPointer?,
                                     _ missing: UnsafeMutablePointer<Int64>?) -> Int32 {
  boundary { () throws(SFError) in
    let f = try frame(handle), n = try string(name, "name")
    let indices = try output(indices, "indices"), valid = try output(valid, "valid")
    guard start >= 0, stop >= start else { throw .argument("bad row range \(start)..<\(stop)") }
    let lost = try f.dictionaryIndices(n, range: Int(start)..<Int(stop), into: indices, valid: valid,
                                       progress: progressHandler(progress, ctx))
    missing?.pointee = Int64(lost)
  }
}
