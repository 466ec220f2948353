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
